/** The staff overview: who is online, queue lengths and waits, today's appointments. */
import { badge, boot, debounce, el, latestOnly, minutes, startClient, STATUS_WORDS, timeOf, todayRange } from "./common.js";

const client = startClient();
const people = new Map();
for (const doctor of boot.doctors) people.set(doctor.id, { ...doctor, kind: "doctor", status: "offline" });
for (const patient of boot.patients) people.set(patient.id, { ...patient, kind: "patient", status: "offline" });

function renderPeople() {
  let online = 0;
  for (const kind of ["doctor", "patient"]) {
    const here = [...people.values()].filter((person) => person.kind === kind && person.status !== "offline");
    online += here.length;
    const list = document.getElementById(`${kind}s-online`);
    list.replaceChildren(...(here.length
      ? here.map((person) => el("li", { dataset: { userId: person.id } }, el("span", { class: "name" }, person.name), badge(person.status)))
      : [el("li", { class: "hint" }, "Nobody.")]));
  }
  document.getElementById("online-count").textContent = `(${online} online)`;
}

client.on("presence", ({ user, status }) => {
  const person = people.get(user);
  if (!person) return;
  person.status = status;
  renderPeople();
});
renderPeople();
client.subscribe([...people.keys()]).catch((error) => console.warn(error));

const loadStats = latestOnly(async (isLatest) => {
  const body = document.getElementById("queue-stats");
  const note = document.getElementById("stats-message");
  try {
    const stats = await client.queueStats();
    if (!isLatest()) return;
    body.replaceChildren(...stats.queues.map((queue) => {
      const counts = queue.counts_by_status || {};
      return el("tr", { dataset: { queueId: queue.id } },
        el("th", { scope: "row" }, queue.name),
        el("td", { class: "waiting", "data-label": "Waiting" }, String(counts.waiting ?? 0)),
        el("td", { "data-label": "Away" }, String(counts.away ?? 0)),
        el("td", { "data-label": "With a doctor" }, String((counts.claimed ?? 0) + (counts.in_consultation ?? 0))),
        el("td", { "data-label": "Longest wait" }, minutes(queue.longest_wait_seconds)),
        el("td", { "data-label": "Average wait" }, minutes(queue.average_wait_seconds)),
        el("td", { "data-label": "Doctors available" }, `${queue.doctors_available ?? 0} of ${queue.doctors_online ?? 0} online`));
    }));
    note.hidden = true;
  } catch (error) {
    note.hidden = false;
    note.textContent = error.status === 404 ? "The waiting room is not available on this server." : "Queue figures are unavailable just now.";
  }
});

const loadToday = latestOnly(async (isLatest) => {
  const list = document.getElementById("today-appointments");
  try {
    const { appointments } = await client.appointments(todayRange());
    if (!isLatest()) return;
    list.replaceChildren(...(appointments.length ? appointments.map((appointment) => el("li", { dataset: { appointmentId: appointment.id, status: appointment.status } },
      el("span", { class: "name" }, el("strong", {}, timeOf(appointment.start, { weekday: undefined, month: undefined, day: undefined })),
        ` ${appointment.doctor?.name || ""} with ${appointment.patient?.name || ""} · `, STATUS_WORDS[appointment.status] || appointment.status)))
      : [el("li", { class: "hint" }, "No appointments today.")]));
  } catch (error) {
    if (isLatest()) list.replaceChildren(el("li", { class: "hint" }, error.status === 404 ? "Appointments are not available on this server." : "Appointments are unavailable just now."));
  }
});

// Staff are not sent every queue's events (a broadcast is expensive): figures refresh on a timer.
loadStats();
loadToday();
setInterval(loadStats, 10000);
setInterval(loadToday, 30000);
client.on("event", debounce(() => { loadStats(); loadToday(); }, 500));
client.on("resync", () => { loadStats(); loadToday(); });
