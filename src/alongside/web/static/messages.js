// While she types a message, asks the server whether the words so far may need help today and,
// if so, says whom to call before she sends it. The server checks again when the message is
// sent, and that check is the one that counts: without this script the page after sending says it.
(function () {
  var box = document.querySelector("textarea[data-check-url]");
  var warning = document.getElementById("typing-warning");
  var token = document.querySelector("input[name=csrf_token]");
  if (!box || !warning || !token || !window.fetch) return;
  var timer = null, asked = "";

  function show(answer) {
    warning.textContent = "";
    if (!answer.found || !answer.found.length) { warning.hidden = true; return; }
    var call = answer.whom_to_call.call;
    var line = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "What you are writing sounds as if it may need help today. ";
    line.appendChild(strong);
    line.appendChild(document.createTextNode("Do not wait for a reply: call " + call.name + " on "));
    var link = document.createElement("a");
    link.className = "tel";
    link.href = "tel:" + call.phone.replace(/\s/g, "");
    link.textContent = call.phone;
    line.appendChild(link);
    line.appendChild(document.createTextNode(". You can still send your message; your team will be alerted."));
    warning.appendChild(line);
    warning.hidden = false;
  }

  function check() {
    var text = box.value;
    if (text === asked) return;
    asked = text;
    if (text.trim().length < 3) { show({found: []}); return; }
    fetch(box.getAttribute("data-check-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": token.value},
      body: JSON.stringify({text: text})
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer && box.value === text) show(answer); })
      .catch(function () { /* the check on sending still happens */ });
  }

  box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 500); });
})();
