/** The doctor's page: my status, the waiting room live with each patient's presence, today. */
import { activityLog, badge, boot, debounce, el, latestOnly, explain, minutes, say, startClient, STATUS_WORDS, timeOf, todayRange } from "./common.js";

const client = startClient();
const me = boot.me;
let entries = [];
const presence = new Map(); // patient id -> status
const names = new Map(); // patient id -> name, for the activity log
const message = document.getElementById("queue-message");

// --- my status -------------------------------------------------------------------------------

const myStatus = document.getElementById("my-status");
function showMyStatus(status) {
  myStatus.textContent = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" }[status] || status;
  myStatus.dataset.status = status;
  for (const radio of document.querySelectorAll("input[name=status]")) radio.checked = radio.value === status;
}
for (const radio of document.querySelectorAll("input[name=status]")) {
  radio.addEventListener("change", async () => {
    try {
      await client.setStatus(radio.value);
      showMyStatus(radio.value);
    } catch (error) {
      say(message, explain(error), "error");
    }
  });
}

// --- the queue -------------------------------------------------------------------------------

const claimerOf = (entry) => entry.claimed_by && (entry.claimed_by.id || entry.claimed_by);
const mine = (entry) => String(claimerOf(entry)) === me.id;

function presenceOf(entry) {
  const patient = entry.patient || {};
  return presence.get(patient.id) || (patient.presence && patient.presence.status) || "offline";
}

function waited(entry) {
  if (entry.wait_seconds !== undefined && entry.wait_seconds !== null) return minutes(entry.wait_seconds);
  return entry.joined_at ? minutes((Date.now() - new Date(entry.joined_at)) / 1000) : "–";
}

function render() {
  const line = entries.filter((entry) => entry.status === "waiting" || entry.status === "away" || (entry.status === "claimed" && !mine(entry)));
  const body = document.getElementById("queue-body");
  body.replaceChildren(...line.map((entry, index) => el("tr", { dataset: { entryId: entry.id, patientId: entry.patient?.id, status: entry.status } },
    el("td", {}, String(index + 1)),
    el("th", { scope: "row" }, entry.patient?.name || "Patient"),
    el("td", { class: "presence" }, badge(presenceOf(entry))),
    el("td", { class: "status" }, STATUS_WORDS[entry.status] || entry.status),
    el("td", { "data-label": "Urgency" }, String(entry.urgency ?? "–")),
    el("td", { "data-label": "Waited" }, waited(entry)),
    el("td", {}, entry.status === "waiting"
      ? el("button", { type: "button", class: "take", "aria-label": `Take ${entry.patient?.name || "this patient"}`, onclick: () => run(() => client.queueClaim(entry.id), "") }, "Take")
      : ""))));
  document.getElementById("queue-empty").hidden = line.length > 0;
  document.getElementById("queue-count").textContent = `(${line.length})`;

  const current = entries.filter((entry) => mine(entry) && (entry.status === "claimed" || entry.status === "in_consultation"));
  const box = document.getElementById("current");
  if (!current.length) { box.replaceChildren(el("p", { class: "hint" }, "Nobody yet.")); return; }
  box.replaceChildren(...current.map((entry) => el("div", { class: "current", dataset: { entryId: entry.id, status: entry.status } },
    el("p", { class: "big" }, el("strong", {}, entry.patient?.name || "Patient"), " ", badge(presenceOf(entry)), ` · ${STATUS_WORDS[entry.status]}`),
    entry.reason ? el("p", {}, `Reason: ${entry.reason}`) : "",
    entry.status === "claimed" && el("button", { type: "button", class: "primary", onclick: () => run(() => client.queueStart(entry.id)) }, "Start the consultation"),
    el("button", { type: "button", onclick: () => run(() => client.queueComplete(entry.id), "Consultation completed.") }, "Complete"),
    entry.status === "claimed" && el("button", { type: "button", onclick: () => run(() => client.queueRelease(entry.id), "Handed back to the waiting room.") }, "Hand back"))));
}

async function run(call, done = "") {
  try {
    await call();
    say(message, done, "ok");
  } catch (error) {
    say(message, explain(error, { not_claimable: "Someone else took this patient just now." }), "error");
  }
  loadQueue();
}

const loadQueue = latestOnly(async (isLatest) => {
  let fresh;
  try {
    fresh = await client.queueEntries();
  } catch (error) {
    if (!isLatest()) return;
    say(message, error.status === 404 ? "The waiting room is not available on this server." : explain(error), "error");
    return;
  }
  if (!isLatest()) return;
  entries = fresh;
  for (const entry of entries) {
    if (!entry.patient) continue;
    names.set(entry.patient.id, entry.patient.name);
    if (entry.patient.presence) presence.set(entry.patient.id, entry.patient.presence.status);
  }
  render();
  // Watch exactly the patients in view: their presence then arrives with everything else.
  const wanted = new Set(entries.map((entry) => entry.patient?.id).filter(Boolean));
  const gone = client.subscriptions.filter((id) => !wanted.has(id));
  if (gone.length) client.unsubscribe(gone).catch(() => {});
  const newcomers = [...wanted].filter((id) => !client.subscriptions.includes(id));
  if (newcomers.length) client.subscribe(newcomers).catch(() => {});
});
const reloadQueue = debounce(loadQueue, 100);

document.getElementById("take-next").addEventListener("click", async () => {
  try {
    const entry = await client.queueNext();
    say(message, entry ? "" : "Nobody can be seen right now.", entry ? "ok" : "");
  } catch (error) {
    say(message, explain(error), "error");
  }
  loadQueue();
});

client.on("presence", ({ user, status }) => {
  if (user === me.id) { showMyStatus(status); return; }
  presence.set(user, status);
  render();
});
client.on("queue.changed", (event) => {
  const patient = event.entry && event.entry.patient;
  if (patient) {
    names.set(patient.id, patient.name);
    if (patient.presence) presence.set(patient.id, patient.presence.status);
  }
  reloadQueue();
});

// --- today's appointments ----------------------------------------------------------------------

const loadToday = latestOnly(async (isLatest) => {
  const list = document.getElementById("today-appointments");
  try {
    const { appointments } = await client.appointments(todayRange());
    if (!isLatest()) return;
    const shown = appointments.filter((item) => item.status !== "cancelled");
    list.replaceChildren(...(shown.length ? shown.map((appointment) => el("li", { dataset: { appointmentId: appointment.id, status: appointment.status } },
      el("span", { class: "name" }, el("strong", {}, timeOf(appointment.start, { weekday: undefined, month: undefined, day: undefined })), ` ${appointment.patient?.name || ""} · `, STATUS_WORDS[appointment.status] || appointment.status)))
      : [el("li", { class: "hint" }, "No appointments today.")]));
  } catch (error) {
    if (isLatest()) list.replaceChildren(el("li", { class: "hint" }, error.status === 404 ? "Appointments are not available on this server." : explain(error)));
  }
});
client.on("appointment.changed", debounce(loadToday));

// --- keeping in step ---------------------------------------------------------------------------

async function loadMyStatus() {
  try {
    const [self] = await client.presenceOf([me.id]);
    if (self) showMyStatus(self.status);
  } catch (_) { /* the next event will tell */ }
}
client.on("ready", loadMyStatus);
client.on("resync", () => { loadQueue(); loadToday(); });
loadQueue();
loadToday();

activityLog(client, (event) => {
  switch (event.type) {
    case "presence.changed":
      if (event.user === me.id) return `Your status: ${event.status}.`;
      return `${names.get(event.user) || "A patient"} is now ${event.status}.`;
    case "queue.changed":
      return `${event.entry.patient?.name || "A patient"}: ${(STATUS_WORDS[event.entry.status] || event.entry.status).toLowerCase()}.`;
    case "appointment.changed":
      return `Appointment at ${timeOf(event.appointment.start)}: ${(STATUS_WORDS[event.appointment.status] || event.appointment.status).toLowerCase()}.`;
    default:
      return null;
  }
});
