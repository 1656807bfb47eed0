"""The page of the report: one self-contained HTML file (style and script inline, no CDN).

The script makes every ``table.findings`` sortable (click a head), filterable (a row of
filters under the heads: a choice of values, a text, a UTC time range) and paged
(:data:`PAGE_ROWS` rows a page: only those rows are in the document, so that a table of
10,000 rows lays out as fast as one of 50), without a server. Printed, the filters and pager are
left out and every row the filters let through is shown; the PDF is printed from the page
without its script (every row).
"""

from __future__ import annotations

import html

PAGE_ROWS = 50

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.2em auto;max-width:75em;color:#111;
line-height:1.35}
h1{font-size:150%;margin-bottom:.2em}h2{border-bottom:2px solid #345;margin-top:1.6em}
h3{margin:.8em 0 .3em}
table.findings{border-collapse:collapse;font-size:12px;width:100%}
.findings td,.findings th{border:1px solid #ccc;padding:2px 5px;text-align:left;
vertical-align:top}
.findings th{background:#e8edf2;cursor:pointer}.findings tr.filters th{background:#f6f8fa;
cursor:default}
.findings input,.findings select{width:100%;box-sizing:border-box;font-size:11px}
.pager{margin:.3em 0;font-size:12px}.pager button{margin-right:.4em}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:0;font-size:13px}
dt{font-weight:600}dd{margin:0;word-break:break-all}
.cols{display:flex;flex-wrap:wrap;gap:2em}.cols>div{flex:1 1 26em}
.finding{break-inside:avoid;page-break-inside:avoid;border-top:1px solid #bbb;padding-top:.4em}
.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
svg{font-size:10px;font-family:system-ui,sans-serif;background:#fff}
svg .sea{fill:#dbe9f4}svg .land{fill:#f3efe4;stroke:#8a8170;stroke-width:.7}
svg .zone{fill:#d33;fill-opacity:.12;stroke:none}
svg .zone-edge{fill:none;stroke:#c00;stroke-width:1.2;stroke-dasharray:4 2}
svg .track1{fill:none;stroke:#1f5fbf;stroke-width:1.6}
svg .track2{fill:none;stroke:#d9730d;stroke-width:1.6}
svg circle.track1{fill:#1f5fbf}svg circle.track2{fill:#d9730d}
svg .entry{fill:#c00}svg .exit{fill:#fff;stroke:#c00;stroke-width:2}
svg .enc{fill:#1f5fbf;stroke:#fff}svg .inf{fill:#c00;stroke:#fff}
svg .scale rect{fill:#222}svg .north path{fill:#222}svg .title{font-weight:600}
svg .frame{fill:none;stroke:#999}svg polyline.h{fill:none;stroke:#1f5fbf;stroke-width:1.6}
svg polyline.dz{fill:none;stroke:#999;stroke-width:1;stroke-dasharray:3 2}
svg text.dz{fill:#777}svg .s1{fill:#1f5fbf}svg .s2{fill:#d9730d}
svg circle.min{fill:none;stroke:#c00;stroke-width:2}svg text.min{fill:#c00}
.note{color:#555;font-size:12px}ul.rules{margin:.2em 0 .4em 1.2em;padding:0}
@page{size:A4 landscape;margin:10mm}
@media print{.pager,tr.filters{display:none}.findings{font-size:9px}svg{max-width:100%;height:auto}
body{max-width:none;margin:0}a{color:inherit;text-decoration:none}}
"""

SCRIPT = """
(function () {
  var PAGE = __PAGE__;
  function cell(r, c) { return r.cells[c].dataset.v; }
  document.querySelectorAll('table.findings').forEach(function (table) {
    var body = table.tBodies[0];
    var rows = Array.from(body.rows);
    var heads = Array.from(table.tHead.rows[0].cells);
    var shown = rows, page = 0, tests = [];
    var filters = table.tHead.insertRow(-1);
    filters.className = 'filters';
    var pager = document.createElement('div');
    pager.className = 'pager';
    table.parentNode.insertBefore(pager, table);
    function draw() {
      var pages = Math.max(1, Math.ceil(shown.length / PAGE));
      page = Math.min(page, pages - 1);
      body.replaceChildren.apply(body, shown.slice(page * PAGE, (page + 1) * PAGE));
      pager.innerHTML = '';
      [['first', 0], ['previous', page - 1], ['next', page + 1], ['last', pages - 1]]
        .forEach(function (b) {
          var btn = document.createElement('button');
          btn.textContent = b[0];
          btn.disabled = b[1] < 0 || b[1] >= pages || b[1] === page;
          btn.onclick = function () { page = b[1]; draw(); };
          pager.appendChild(btn);
        });
      pager.appendChild(document.createTextNode('page ' + (page + 1) + ' of ' + pages +
        ': ' + shown.length + ' of ' + rows.length + ' rows'));
    }
    function apply() {
      shown = rows.filter(function (r) {
        return tests.every(function (t) { return t(r); }); });
      page = 0;
      draw();
    }
    heads.forEach(function (th, c) {
      var f = document.createElement('th');
      filters.appendChild(f);
      var kind = th.dataset.filter;
      if (kind === 'select') {
        var s = document.createElement('select');
        var values = Array.from(new Set(rows.map(function (r) { return cell(r, c); }))).sort();
        s.add(new Option('all', ''));
        values.forEach(function (v) { s.add(new Option(v || '(none)', v)); });
        s.onchange = apply;
        f.appendChild(s);
        tests.push(function (r) { return s.selectedIndex === 0 || cell(r, c) === s.value; });
      } else if (kind === 'text') {
        var i = document.createElement('input');
        i.placeholder = 'contains';
        i.oninput = apply;
        f.appendChild(i);
        tests.push(function (r) {
          return r.cells[c].textContent.toLowerCase().indexOf(i.value.toLowerCase()) >= 0; });
      } else if (kind === 'time') {
        var lo = document.createElement('input'), hi = document.createElement('input');
        lo.placeholder = 'from (UTC)';
        hi.placeholder = 'to (UTC)';
        lo.oninput = hi.oninput = apply;
        f.appendChild(lo);
        f.appendChild(hi);
        var at = function (text) {
          var t = Date.parse(text.trim().replace(' UTC', '').replace(' ', 'T') + 'Z');
          return isNaN(t) ? null : t / 1000; };
        tests.push(function (r) {
          var v = parseFloat(cell(r, c)), a = at(lo.value), b = at(hi.value);
          return (a === null || v >= a) && (b === null || v <= b); });
      }
      th.addEventListener('click', function () {
        var asc = th.dataset.asc !== '1';
        th.dataset.asc = asc ? '1' : '0';
        rows.sort(function (a, b) {
          var x = cell(a, c), y = cell(b, c), nx = parseFloat(x), ny = parseFloat(y);
          var d = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return asc ? d : -d;
        });
        apply();
      });
    });
    draw();
    // printed: every row that the filters let through, then the page again
    window.addEventListener('beforeprint', function () {
      body.replaceChildren.apply(body, shown); });
    window.addEventListener('afterprint', draw);
  });
})();
""".replace("__PAGE__", str(PAGE_ROWS))


def page(title: str, body: str, script: bool = True) -> str:
    """The whole HTML document; without ``script`` (for printing to PDF) every row is shown
    and nothing runs."""
    code = f"<script>{SCRIPT}</script>" if script else ""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}{code}</body></html>"
    )
