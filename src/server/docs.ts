/**
 * The API docs page: plain HTML and a little script that renders the OpenAPI document, so the docs
 * need no CDN and no bundle. It lists every operation with its permission, parameters and schemas.
 */
export function docsPage(documentPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tributary API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #1d1d1f; }
  h1 { margin-bottom: 0; } .method { display: inline-block; min-width: 4.5rem; font-weight: 700; font-family: ui-monospace, monospace; }
  .get { color: #0b6e4f; } .post { color: #1f5fbf; } .delete { color: #b3261e; } .put, .patch { color: #8a5a00; }
  details { border: 1px solid #ddd; border-radius: 6px; margin: .4rem 0; padding: .3rem .8rem; }
  summary { cursor: pointer; } code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f6f6f8; padding: .6rem; overflow: auto; border-radius: 4px; }
  .permission { float: right; color: #666; font-size: 13px; }
</style>
</head>
<body>
<h1>Tributary API</h1>
<p>The machine-readable document: <a href="${documentPath}"><code>${documentPath}</code></a> (OpenAPI 3.1).</p>
<div id="intro"></div>
<div id="operations">Loading…</div>
<script type="module">
const doc = await (await fetch(${JSON.stringify(documentPath)})).json();
const text = (value) => String(value).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
document.getElementById('intro').innerHTML = '<p>' + text(doc.info.description ?? '') + '</p>';
const parts = [];
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    const params = (op.parameters ?? []).map((p) => '<li><code>' + text(p.name) + '</code> (' + text(p.in) + (p.required ? ', required' : '') + ')' + (p.description ? ': ' + text(p.description) : '') + '</li>').join('');
    const body = op.requestBody ? '<p>Body:</p><pre>' + text(JSON.stringify(op.requestBody.content, null, 2)) + '</pre>' : '';
    const responses = Object.entries(op.responses ?? {}).map(([status, r]) => '<li><code>' + status + '</code> ' + text(r.description ?? '') + '</li>').join('');
    parts.push('<details><summary><span class="method ' + method + '">' + method.toUpperCase() + '</span> <code>' + text(path) + '</code> ' + text(op.summary ?? '') +
      '<span class="permission">' + text(op['x-permission'] ?? '') + '</span></summary>' + (params ? '<p>Parameters:</p><ul>' + params + '</ul>' : '') + body +
      '<p>Responses:</p><ul>' + responses + '</ul></details>');
  }
}
document.getElementById('operations').innerHTML = parts.join('');
</script>
</body>
</html>
`;
}
