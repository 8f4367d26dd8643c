// Conveniences only: every page works without this file.
// "/" focuses the search box, j/k move between results, copy buttons copy citations,
// and changing the sort (or grouping) re-runs the search.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function searchBox() {
    return document.querySelector("[data-search-box]");
  }

  var current = -1;

  function moveBetweenHits(step) {
    var links = document.querySelectorAll("[data-hit-link]");
    if (!links.length) return;
    current = Math.max(0, Math.min(links.length - 1, current + step));
    var hits = document.querySelectorAll("[data-hit]");
    for (var i = 0; i < hits.length; i++) hits[i].classList.remove("active");
    var link = links[current];
    var hit = link.closest("[data-hit]");
    if (hit) hit.classList.add("active");
    link.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "/") {
      var box = searchBox();
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    } else if (event.key === "j") {
      moveBetweenHits(1);
    } else if (event.key === "k") {
      moveBetweenHits(-1);
    }
  });

  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text, done); });
    } else {
      fallbackCopy(text, done);
    }
  }

  // Plain http on a LAN address is not a "secure context", so the clipboard API is missing there.
  function fallbackCopy(text, done) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }

  function setUpCopyButtons() {
    var buttons = document.querySelectorAll("[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        var status = button.parentNode.querySelector("[data-copied]");
        copyText(source.textContent.trim(), function (ok) {
          if (status) status.textContent = ok === false ? "复制失败，请手动选择文字复制" : "已复制";
        });
      });
    });
  }

  function setUpAutoSubmit() {
    var controls = document.querySelectorAll("[data-autosubmit]");
    Array.prototype.forEach.call(controls, function (control) {
      control.addEventListener("change", function () {
        if (control.form) control.form.submit();
      });
    });
  }

  // A long pasted passage goes by POST: as a URL it would pass what the server reads of one.
  function setUpLongTextForms() {
    var forms = document.querySelectorAll("form[data-long-text]");
    Array.prototype.forEach.call(forms, function (form) {
      form.addEventListener("submit", function () {
        var text = form.querySelector("textarea");
        var limit = parseInt(form.getAttribute("data-long-text"), 10);
        form.method = text && text.value.length > limit ? "post" : "get";
      });
    });
  }

  // A query past the server's limit is said here, in the page's words: as a URL it would reach the server's own
  // bare "414 URI Too Long" before the application could explain.
  function setUpQueryLimit() {
    var limit = parseInt(document.body.getAttribute("data-max-query"), 10);
    if (!limit) return;
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      form.addEventListener("submit", function (event) {
        var boxes = form.querySelectorAll("input[name=q]");
        for (var i = 0; i < boxes.length; i++) {
          var length = boxes[i].value.length;
          if (length > limit) {
            event.preventDefault();
            var notice = form.querySelector("[data-query-too-long]");
            if (!notice) {
              notice = document.createElement("p");
              notice.className = "notice error";
              notice.setAttribute("role", "alert");
              notice.setAttribute("data-query-too-long", "");
              form.appendChild(notice);
            }
            notice.textContent = "检索式过长：共 " + length + " 字，上限 " + limit + " 字。请删减后重试。";
            boxes[i].focus();
            return;
          }
        }
      });
    });
  }

  // A chart by year that scrolls sideways on a phone opens at its latest years, where the data usually is.
  function setUpCharts() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart-latest]"), function (chart) {
      chart.scrollLeft = chart.scrollWidth;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpCopyButtons();
    setUpAutoSubmit();
    setUpLongTextForms();
    setUpQueryLimit();
    setUpCharts();
  });
})();
