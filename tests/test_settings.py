"""Settings: site.toml over documented defaults, checked, with errors that name the file."""

import re

import pytest

from quire import PROJECT_ROOT, create_app
from quire.settings import SETTINGS, SettingsError, load_settings


def test_defaults_without_file(tmp_path):
    values = load_settings(tmp_path)
    assert values["posts_per_page"] == 10 and values["summary_words"] == 70


def test_file_overrides(tmp_path):
    (tmp_path / "site.toml").write_text('title = "Mine"\nposts_per_page = 3\nbase_url = "https://x.org/blog"\n')
    values = load_settings(tmp_path)
    assert values["title"] == "Mine" and values["posts_per_page"] == 3
    assert values["base_url"] == "https://x.org/blog/"


@pytest.mark.parametrize("text, fragment", [
    ("title = ", "TOML"),
    ("posts_per_pag = 3", "unknown setting"),
    ('posts_per_page = "ten"', "`posts_per_page` must be an integer"),
    ("posts_per_page = 0", "at least 1"),
    ('default_theme = "blue"', "default_theme"),
    ('timezone = "Mars/Olympus"', "time zone"),
    ('menu = [{ name = "x" }]', "menu"),
    ("math = 1", "`math` must be true or false"),
])
def test_bad_settings_name_the_file(tmp_path, text, fragment):
    (tmp_path / "site.toml").write_text(text)
    with pytest.raises(SettingsError) as info:
        load_settings(tmp_path)
    assert "site.toml" in str(info.value) and fragment in str(info.value)


def test_readme_documents_every_setting():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    for setting in SETTINGS:
        assert re.search(rf"^\| `{setting.name}` \|", section, re.MULTILINE), f"README lacks setting {setting.name}"




def test_quire_site_environment_variable(site_dir, monkeypatch):
    monkeypatch.setenv("QUIRE_SITE", str(site_dir))
    app = create_app()
    assert app.extensions["quire"].site_dir == site_dir.resolve()
