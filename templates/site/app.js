/* relancegit dashboard: sorting, filtering and search. Every page works without this file. */
(function () {
  "use strict";

  var collator = new Intl.Collator(document.documentElement.lang || "fr", { numeric: true, sensitivity: "base" });

  function compare(a, b, type) {
    if (type === "number") {
      var x = parseFloat(a), y = parseFloat(b);
      if (isNaN(x)) { x = -Infinity; }
      if (isNaN(y)) { y = -Infinity; }
      return x - y;
    }
    return collator.compare(String(a), String(b));
  }

  /* Column headers become buttons; aria-sort says the current order. */
  function makeSortable(table, onSort) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        var type = th.getAttribute("data-type") || "text";
        var direction = current === "ascending" ? "descending"
          : current === "descending" ? "ascending"
          : (type === "number" ? "descending" : "ascending");
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", direction);
        onSort(index, th, direction, type);
      });
    });
    var hint = table.querySelector(".sort-hint");
    if (hint) { hint.hidden = false; }
  }

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var value = cell.getAttribute("data-value");
    return value !== null ? value : cell.textContent.trim();
  }

  /* Tables whose rows are all on the page: sort the rows in place. */
  function sortRows(table) {
    makeSortable(table, function (index, th, direction, type) {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var order = compare(cellValue(a, index), cellValue(b, index), type);
        return direction === "ascending" ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  }

  /* The case list: every case from cases.js, filtered, sorted and shown by slices. */
  var COLUMNS = { id: 0, client: 2, balance: 5, late: 7, status: 4, next: 8 };
  var SLICE = 200;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function caseRow(c, table) {
    /* c: [id, client id, client name, status, status label, balance, balance text, days late,
           action date ISO, action date text, action label, channel label, due, invoice numbers] */
    var tr = el("tr");
    tr.setAttribute("data-status", c[3]);
    tr.setAttribute("data-client", c[1]);
    var td = el("td", "nowrap");
    var link = el("a", null, c[0]);
    link.href = encodeURIComponent(c[0]) + ".html";
    td.appendChild(link);
    tr.appendChild(td);
    td = el("td");
    link = el("a", null, c[2]);
    link.href = "../clients/" + encodeURIComponent(c[1]) + ".html";
    td.appendChild(link);
    tr.appendChild(td);
    tr.appendChild(el("td", "num nowrap pin", c[6]));
    td = el("td", "num nowrap", c[7] ? c[7] + "\u00a0" + (document.documentElement.lang === "en" ? "d" : "j") : "");
    td.setAttribute("data-label", table.tHead.rows[0].cells[3].textContent.trim());
    tr.appendChild(td);
    td = el("td");
    td.appendChild(el("span", "badge status-" + c[3], c[4]));
    tr.appendChild(td);
    td = el("td");
    if (c[8]) {
      var action = el("span", "action" + (c[12] ? " is-due" : ""));
      var time = el("time", null, c[9]);
      time.setAttribute("datetime", c[8]);
      action.appendChild(time);
      action.appendChild(document.createTextNode(" · " + c[10]));
      if (c[11]) {
        action.appendChild(document.createTextNode(" "));
        action.appendChild(el("span", "channel", "(" + c[11] + ")"));
      }
      td.appendChild(action);
    } else {
      td.appendChild(el("span", "muted", "—"));
    }
    tr.appendChild(td);
    return tr;
  }

  function caseList(table, cases) {
    var form = document.getElementById("case-filters");
    var search = document.getElementById("f-search");
    var status = document.getElementById("f-status");
    var client = document.getElementById("f-client");
    var count = document.getElementById("case-count");
    var more = document.getElementById("case-more");
    var pager = document.getElementById("case-pager");
    var body = table.tBodies[0];
    var sort = { column: COLUMNS.balance, direction: "descending", type: "number" };
    var limit = SLICE;
    var keys = ["id", "client", "balance", "late", "status", "next"];

    form.hidden = false;
    count.hidden = false;
    if (pager) { pager.hidden = true; }
    var caption = table.querySelector("caption");
    if (caption && caption.firstChild && caption.firstChild.nodeType === 3) {
      caption.firstChild.textContent = caption.firstChild.textContent.split(" · ")[0] + " ";
    }

    var params = new URLSearchParams(window.location.search);
    search.value = params.get("q") || "";
    status.value = params.get("status") || "";
    client.value = params.get("client") || "";

    function matches(c, words) {
      if (status.value && c[3] !== status.value) { return false; }
      if (client.value && c[1] !== client.value) { return false; }
      if (!words.length) { return true; }
      var text = (c[0] + " " + c[2] + " " + c[13] + " " + c[4] + " " + c[10]).toLowerCase();
      return words.every(function (word) { return text.indexOf(word) !== -1; });
    }

    function render() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var found = cases.filter(function (c) { return matches(c, words); });
      var column = sort.column;
      found.sort(function (a, b) {
        var order = sort.type === "number" ? a[column] - b[column] : compare(a[column], b[column], "text");
        if (order === 0) { order = compare(a[0], b[0], "text"); }
        return sort.direction === "ascending" ? order : -order;
      });
      var fragment = document.createDocumentFragment();
      found.slice(0, limit).forEach(function (c) { fragment.appendChild(caseRow(c, table)); });
      body.replaceChildren(fragment);
      if (!found.length) {
        var empty = el("tr");
        var cell = el("td", "muted", table.getAttribute("data-label-none"));
        cell.colSpan = 6;
        empty.appendChild(cell);
        body.appendChild(empty);
      }
      count.textContent = table.getAttribute("data-label-shown")
        .replace("{n}", Math.min(found.length, limit).toLocaleString(document.documentElement.lang))
        .replace("{total}", found.length.toLocaleString(document.documentElement.lang));
      more.hidden = found.length <= limit;
    }

    function changed() {
      limit = SLICE;
      var query = new URLSearchParams();
      if (search.value) { query.set("q", search.value); }
      if (status.value) { query.set("status", status.value); }
      if (client.value) { query.set("client", client.value); }
      var text = query.toString();
      try {
        window.history.replaceState(null, "", text ? "?" + text : window.location.pathname);
      } catch (e) { /* file:// pages may refuse it */ }
      render();
    }

    makeSortable(table, function (index, th, direction, type) {
      sort = { column: COLUMNS[keys[index]], direction: direction, type: type };
      render();
    });
    search.addEventListener("input", changed);
    status.addEventListener("change", changed);
    client.addEventListener("change", changed);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    more.querySelector("button").addEventListener("click", function () { limit += SLICE; render(); });
    render();
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (table.id === "case-table" && Array.isArray(window.RG_CASES)) {
      caseList(table, window.RG_CASES);
    } else {
      sortRows(table);
    }
  });
})();
