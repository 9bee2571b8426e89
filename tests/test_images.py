"""Image sizes through imagesize (WebP and AVIF too), and srcset variants of bundle images with Pillow (optional):
made on first request and by the freeze alike, byte-identical; without Pillow, plain <img> as before."""

import io
import struct

import pytest
from test_social import png

import quire.images
from quire import create_app
from quire.freeze import freeze
from quire.images import image_size


def webp_header(width: int, height: int) -> bytes:
    """The first bytes of an extended (VP8X) WebP file: enough for its size."""
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def bundle(builder, name: str = "fig.png", data: bytes | None = None) -> None:
    builder.file("posts/p/index.md", f"---\ntitle: P\ndate: 2024-01-01\n---\n![A figure]({name} \"Caption\")\n")
    builder.file(f"posts/p/{name.replace('%20', ' ')}", data if data is not None else png(1000, 500))


def test_sizes_of_png_webp_and_svg(tmp_path):
    (tmp_path / "a.png").write_bytes(png(30, 20))
    (tmp_path / "b.webp").write_bytes(webp_header(300, 200))
    (tmp_path / "c.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60"></svg>')
    (tmp_path / "d.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    assert image_size(tmp_path / "a.png") == (30, 20)
    assert image_size(tmp_path / "b.webp") == (300, 200)
    assert image_size(tmp_path / "c.svg") == (120, 60)
    assert image_size(tmp_path / "d.png") is None and image_size(tmp_path / "none.png") is None


def test_a_webp_figure_gets_its_width_and_height(builder, client):
    bundle(builder, "fig.webp", webp_header(640, 480))
    html = client.get("/posts/p/").get_data(as_text=True)
    assert 'src="fig.webp" alt="A figure" width="640" height="480"' in html or \
        ('src="fig.webp"' in html and 'width="640" height="480"' in html)


def test_a_bundle_figure_is_sized_whatever_its_url_adds_to_the_file_name(builder, client):
    builder.file("posts/p/index.md", "---\ntitle: P\ndate: 2024-01-01\n---\n![A](fig.png?v=2?w=3)\n\n"
                                     "![B](my%20fig.png#top#2)\n")
    builder.file("posts/p/fig.png", png(1000, 500))
    builder.file("posts/p/my fig.png", png(300, 200))
    html = client.get("/posts/p/").get_data(as_text=True)
    assert 'src="fig.png?v=2?w=3"' in html and 'width="1000" height="500"' in html  # the query is not the file's
    assert 'src="my%20fig.png#top#2"' in html and 'width="300" height="200"' in html


def test_a_figure_outside_its_bundle_is_not_sized(builder, client):
    builder.file("posts/p/index.md", "---\ntitle: P\ndate: 2024-01-01\n---\n![In](fig.png)\n\n![Out](../q/fig.png)\n")
    builder.file("posts/p/fig.png", png(1000, 500))
    builder.file("posts/q/index.md", "---\ntitle: Q\ndate: 2024-01-02\n---\nQ.\n")
    builder.file("posts/q/fig.png", png(800, 400))
    html = client.get("/posts/p/").get_data(as_text=True)
    assert 'width="1000" height="500"' in html and 'src="../q/fig.png"' in html
    assert 'width="800"' not in html  # another post's file is not read


def avif_header(width: int, height: int) -> bytes:
    """The boxes of an AVIF (HEIF) file that carry its size: ftyp, then meta with the primary item's ispe."""
    def box(kind: bytes, payload: bytes, version: int | None = None) -> bytes:
        payload = payload if version is None else bytes([version, 0, 0, 0]) + payload
        return struct.pack(">I", 8 + len(payload)) + kind + payload
    infe = box(b"infe", struct.pack(">HH", 1, 0) + b"av01\0", version=2)
    properties = box(b"ipco", box(b"ispe", struct.pack(">II", width, height), version=0))
    associations = box(b"ipma", struct.pack(">IHBB", 1, 1, 1, 0x81), version=0)
    meta = box(b"meta", box(b"hdlr", b"\0" * 4 + b"pict" + b"\0" * 13, version=0)
               + box(b"pitm", struct.pack(">H", 1), version=0) + box(b"iinf", struct.pack(">H", 1) + infe, version=0)
               + box(b"iprp", properties + associations), version=0)
    return box(b"ftyp", b"avif\0\0\0\0avifmif1miaf") + meta


def test_avif_size_is_read(tmp_path):
    (tmp_path / "x.avif").write_bytes(avif_header(64, 48))
    assert image_size(tmp_path / "x.avif") == (64, 48)


def test_without_pillow_images_stay_plain(builder, site_dir, monkeypatch):
    monkeypatch.setattr(quire.images, "PIL", None)
    bundle(builder)
    client = create_app(site_dir, config={"TESTING": True}).test_client()
    html = client.get("/posts/p/").get_data(as_text=True)
    assert '<img src="fig.png" alt="A figure" width="1000" height="500" loading="lazy" decoding="async">' in html
    assert "srcset" not in html and "<picture>" not in html
    assert client.get("/posts/p/fig.png.480w.webp").status_code == 404


@pytest.fixture
def pillow():
    return pytest.importorskip("PIL.Image", reason="Pillow is not installed (the optional extra: quire[images])")


def test_with_pillow_bundle_images_get_srcset_and_webp(pillow, builder, client):
    bundle(builder, "my%20fig.png")
    html = client.get("/posts/p/").get_data(as_text=True)
    sizes = 'sizes="(max-width: 800px) 100vw, 760px"'
    assert (f'<picture><source type="image/webp" srcset="my%20fig.png.480w.webp 480w, my%20fig.png.760w.webp 760w, '
            f'my%20fig.png.1000w.webp 1000w" {sizes}><img src="my%20fig.png" alt="A figure" '
            f'srcset="my%20fig.png.480w.png 480w, my%20fig.png.760w.png 760w, my%20fig.png 1000w" {sizes} '
            f'width="1000" height="500" loading="lazy" decoding="async"></picture>') in html
    for name, kind, width in (("my%20fig.png.480w.webp", "image/webp", 480),
                              ("my%20fig.png.760w.png", "image/png", 760),
                              ("my%20fig.png.1000w.webp", "image/webp", 1000)):
        response = client.get(f"/posts/p/{name}")
        assert response.status_code == 200 and response.mimetype == kind
        with pillow.open(io.BytesIO(response.data)) as image:
            assert image.size == (width, width // 2)
    # Only the variants the page names: no other width, format or source.
    for name in ("my%20fig.png.481w.webp", "my%20fig.png.1520w.webp", "my%20fig.png.480w.jpeg",
                 "nothere.png.480w.webp", "..%2Fp%2Fmy%20fig.png.480w.webp"):
        assert client.get(f"/posts/p/{name}").status_code == 404, name


def test_small_images_and_svg_get_no_variants(pillow, builder, client):
    builder.file("posts/p/index.md", "---\ntitle: P\ndate: 2024-01-01\n---\n![s](small.png)\n\n![v](v.svg)\n")
    builder.file("posts/p/small.png", png(300, 200))
    builder.file("posts/p/v.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="900" height="90"></svg>')
    html = client.get("/posts/p/").get_data(as_text=True)
    # A small PNG still gets its WebP at full width; an SVG is left alone.
    assert '<source type="image/webp" srcset="small.png.300w.webp 300w"' in html
    assert '<img src="v.svg" alt="v" width="900" height="90" loading="lazy" decoding="async">' in html


def test_live_and_frozen_variants_are_the_same_bytes(pillow, builder, site_dir, tmp_path):
    bundle(builder)
    app = create_app(site_dir, config={"TESTING": True})
    dest = tmp_path / "out"
    freeze(app, dest, jobs=2)
    client = app.test_client()
    names = ["fig.png.480w.png", "fig.png.480w.webp", "fig.png.760w.png", "fig.png.760w.webp", "fig.png.1000w.webp"]
    for name in names:
        assert (dest / "posts" / "p" / name).read_bytes() == client.get(f"/posts/p/{name}").data, name
    assert (dest / "posts" / "p" / "index.html").read_bytes() == client.get("/posts/p/").data
    assert sorted(p.name for p in (dest / "posts" / "p").iterdir()) == sorted([*names, "fig.png", "index.html"])
    # A second freeze (warm cache: the variants are read, not made again) writes the same files.
    again = tmp_path / "again"
    freeze(create_app(site_dir, config={"TESTING": True}), again, jobs=1)
    for name in names:
        assert (again / "posts" / "p" / name).read_bytes() == (dest / "posts" / "p" / name).read_bytes()
