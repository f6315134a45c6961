// The search box of the site `vigil doc` writes: it filters the index in search-index.js
// (window.VIGIL_SEARCH) by rule titles, names and citations, in the page, from the files
// alone. A query in the address (index.html?q=742.7) is searched on load.
(function () {
  "use strict";
  var entries = window.VIGIL_SEARCH || [];
  var form = document.querySelector("form.search");
  var box = document.getElementById("search");
  var list = document.getElementById("search-results");
  if (!form || !box || !list) {
    return;
  }
  form.hidden = false;
  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    node.textContent = content;
    return node;
  }
  function search(query) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    var words = query.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    if (words.length === 0) {
      return;
    }
    var found = entries.filter(function (entry) {
      var haystack = (entry.title + " " + entry.name + " " + entry.cite).toLowerCase();
      return words.every(function (word) { return haystack.indexOf(word) >= 0; });
    }).slice(0, 60);
    if (found.length === 0) {
      list.appendChild(text("li", "none", "Nothing found"));
      return;
    }
    found.forEach(function (entry) {
      var item = document.createElement("li");
      item.appendChild(text("span", "kind", entry.kind));
      var link = text("a", "result", entry.title);
      link.href = entry.url;
      item.appendChild(link);
      if (entry.cite) {
        item.appendChild(text("span", "cite", entry.cite));
      }
      list.appendChild(item);
    });
  }
  box.addEventListener("input", function () { search(box.value); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector("a");
    if (first) {
      window.location.href = first.href;
    }
  });
  var match = /[?&]q=([^&]*)/.exec(window.location.search);
  if (match) {
    box.value = decodeURIComponent(match[1].replace(/\+/g, " "));
    search(box.value);
  }
})();
