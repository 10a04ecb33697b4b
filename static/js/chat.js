// Live chat: ask for new messages every second and post without reloading. The server keeps nothing per
// process, so any web process can answer. The last id seen is the cursor: after a dropped connection the next
// poll fetches everything after it, so no message is lost or shown twice. Message text is set with
// textContent, never parsed as HTML. The page carries the translated error texts (data-not-sent, data-offline).
(function () {
  "use strict";
  const log = document.getElementById("chat-log");
  if (!log) return;
  const form = document.getElementById("chat-form");
  const endForm = document.getElementById("chat-end");
  const state = document.getElementById("chat-state");
  const error = document.getElementById("chat-error");
  let lastId = Number(log.dataset.lastId || 0);
  let delay = 1000;

  function show(message) {
    if (message.id <= lastId || log.querySelector('[data-id="' + message.id + '"]')) return;
    const item = document.createElement("li");
    item.className = "chat-message" + (message.mine ? " mine" : "");
    item.dataset.id = String(message.id);
    const author = document.createElement("span");
    author.className = "chat-author";
    author.textContent = message.author;
    const time = document.createElement("time");
    time.textContent = message.at;
    const body = document.createElement("p");
    body.className = "chat-body";
    body.textContent = message.body;
    item.append(author, " ", time, body);
    log.append(item);
    lastId = message.id;
    item.scrollIntoView({ block: "nearest" });
  }

  async function poll() {
    try {
      const response = await fetch(log.dataset.pollUrl + "?after=" + lastId, { headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      data.messages.forEach(show);
      state.textContent = data.state_label + (data.agent ? " · " + data.agent : "");
      if (data.state === "ended" || data.state === "disconnected") {
        if (form) form.hidden = true;
        if (endForm) endForm.hidden = true;
        return;
      }
      delay = 1000;
    } catch (problem) {
      delay = Math.min(delay * 2, 10000); // the connection dropped: try again, more slowly
    }
    window.setTimeout(poll, delay);
  }

  if (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const data = new FormData(form);
      error.textContent = "";
      try {
        const response = await fetch(form.action, { method: "POST", body: data, headers: { "X-Requested-With": "fetch" } });
        const answer = await response.json();
        if (!response.ok) {
          error.textContent = answer.error || error.dataset.notSent;
          return;
        }
        form.reset();
      } catch (problem) {
        error.textContent = error.dataset.offline;
      }
    });
  }
  window.setTimeout(poll, delay);
})();
