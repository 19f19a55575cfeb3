/* The site's only script, from the site itself: chapter links seek the episode's player. Pages work without it. */
(function () {
  "use strict";
  function player() { return document.querySelector(".episode-audio"); }
  function seek(seconds, play) {
    var media = player();
    if (!media || isNaN(seconds)) return false;
    media.currentTime = seconds;
    if (play) { var started = media.play(); if (started && started.catch) started.catch(function () {}); }
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-start]");
    if (link && seek(Number(link.getAttribute("data-start")), true)) event.preventDefault();
  });
  // A link from the newsletter to #chapter-N starts the player at that chapter when pressed.
  var target = /^#chapter-\d+$/.test(location.hash) && document.querySelector(location.hash + " a[data-start]");
  if (target) seek(Number(target.getAttribute("data-start")), false);
})();
