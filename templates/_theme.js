(function(){try{var t=localStorage.getItem("quire-theme");if(t==="dark"||t==="light")document.documentElement.setAttribute("data-theme",t)}catch(e){}})();
