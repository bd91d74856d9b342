// Progressive enhancement only: every page works without this file, except
// the upload progress bar and the confirmation before a destructive button.
document.querySelectorAll("[data-confirm]").forEach((button) => {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});
document.querySelectorAll("[data-copy]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => {
    const text = document.getElementById(button.dataset.copy).textContent.trim();
    navigator.clipboard.writeText(text).then(() => { button.textContent = button.dataset.done; });
  });
});

const form = document.getElementById("upload-form");
if (form) {
  form.addEventListener("submit", (event) => {
    const files = form.querySelector("input[type=file]").files;
    if (!files.length) return;
    event.preventDefault();
    const list = document.getElementById("upload-results");
    list.textContent = "";
    const csrf = form.querySelector("input[name=csrf_token]").value;
    const uploadOne = (index) => {
      if (index >= files.length) return;
      const file = files[index];
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = file.name + " ";
      const bar = document.createElement("progress");
      bar.max = 100; bar.value = 0; bar.setAttribute("aria-label", file.name);
      const outcome = document.createElement("div");
      outcome.className = "outcome";
      item.append(label, bar, outcome);
      list.append(item);
      const data = new FormData();
      data.append("apk", file);
      const request = new XMLHttpRequest();
      request.open("POST", form.dataset.api);
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.setRequestHeader("Accept-Language", document.documentElement.lang);
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
      });
      // Sent: the server now inspects the APK, which can take a while for a big one.
      request.upload.addEventListener("load", () => {
        bar.removeAttribute("value");
        outcome.className = "outcome muted";
        outcome.textContent = form.dataset.processing;
      });
      request.addEventListener("load", () => {
        bar.value = 100;
        let body = {};
        try { body = JSON.parse(request.responseText); } catch (e) { body = {}; }
        if (body.status === "OK") {
          const apk = body.apk;
          outcome.className = "outcome notice";
          outcome.textContent = `${apk.label} — ${apk.package} ${apk.version_name} (${apk.version_code}), ` +
            `minSdk ${apk.min_sdk}, ${apk.permissions.length} permissions, SHA-256 ${apk.sha256.slice(0, 12)}…`;
        } else {
          outcome.className = "outcome alert";
          outcome.textContent = (body.errors || []).map((e) => `${e.code}: ${e.msg}`).join("\n") || `HTTP ${request.status}`;
        }
        if (index + 1 < files.length) { uploadOne(index + 1); return; }
        // Every file answered: show the store's versions as they are now.
        fetch(window.location.pathname, {credentials: "same-origin"}).then((r) => r.text()).then((html) => {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("versions");
          const shown = document.getElementById("versions");
          if (fresh && shown) shown.replaceWith(fresh);
        });
      });
      request.send(data);
    };
    uploadOne(0);
  });
}
