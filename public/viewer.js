// Opens the page's Manifest in Mirador (no inline script: the page's CSP forbids it).
(function () {
  var el = document.getElementById('viewer');
  if (!el || !window.Mirador) return;
  window.Mirador.viewer({
    id: 'viewer',
    windows: [{ manifestId: el.dataset.manifest, thumbnailNavigationPosition: 'far-bottom' }],
    window: { allowClose: false, allowMaximize: false },
    workspaceControlPanel: { enabled: false },
  });
})();
