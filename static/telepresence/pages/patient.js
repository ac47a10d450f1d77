/** The patient's page: doctors with live availability, the waiting room, appointments. */
import { activityLog, badge, boot, debounce, el, latestOnly, explain, minutes, say, startClient, STATUS_WORDS, timeOf } from "./common.js";

const client = startClient();
const doctors = new Map(boot.doctors.map((doctor) => [doctor.id, { ...doctor, status: "offline" }]));
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

// --- doctors and their availability ---------------------------------------------------------

const doctorList = document.getElementById("doctor-list");
function renderDoctors() {
  doctorList.replaceChildren(...[...doctors.values()].map((doctor) => el("li", { dataset: { doctorId: doctor.id } },
    el("span", { class: "name" }, el("strong", {}, doctor.name), " · ", doctor.specialty),
    el("span", { class: "availability" }, badge(doctor.status)))));
}

client.on("presence", ({ user, status }) => {
  const doctor = doctors.get(user);
  if (!doctor || doctor.status === status) return;
  doctor.status = status;
  // Only the badge changes, so that a screen reader announces just the new status.
  const cell = doctorList.querySelector(`li[data-doctor-id="${CSS.escape(user)}"] .availability`);
  if (cell) cell.replaceChildren(badge(status));
  else renderDoctors();
});
renderDoctors();
client.subscribe([...doctors.keys()]).catch((error) => console.warn(error));

const bookDoctor = document.getElementById("book-doctor");
bookDoctor.replaceChildren(...[...doctors.values()].map((doctor) => el("option", { value: doctor.id }, `${doctor.name} (${doctor.specialty})`)));

// --- the waiting room -------------------------------------------------------------------------

const joinForm = document.getElementById("queue-join-form");
const entryBox = document.getElementById("queue-entry");
const queueMessage = document.getElementById("queue-message");
let entry = null;
const FINAL = new Set(["completed", "left", "removed"]);

let followUp = null;
function renderEntry() {
  const active = entry && !FINAL.has(entry.status);
  // Once a doctor holds the entry, the waiting room tells its patient no more (start and
  // completion go to the doctor only): look again now and then until it ends.
  clearTimeout(followUp);
  if (active && (entry.status === "claimed" || entry.status === "in_consultation")) followUp = setTimeout(loadEntry, 4000);
  joinForm.hidden = Boolean(active);
  entryBox.hidden = !active;
  entryBox.dataset.status = active ? entry.status : "";
  if (!active) return;
  const waiting = entry.status === "waiting" || entry.status === "away";
  let status = STATUS_WORDS[entry.status] || entry.status;
  if (entry.status === "claimed") status = `A doctor is ready for you${entry.doctor ? `: ${entry.doctor.name}` : ""}. Please stay on this page.`;
  if (entry.status === "in_consultation") status = `In consultation${entry.doctor ? ` with ${entry.doctor.name}` : ""}.`;
  document.getElementById("queue-status").textContent = waiting ? "You are in the waiting room." : status;
  document.getElementById("queue-position-line").hidden = !waiting;
  document.getElementById("queue-wait-line").hidden = !waiting;
  document.getElementById("queue-position").textContent = entry.position ?? "–";
  document.getElementById("queue-wait").textContent = entry.position === 1 ? "you are next" : minutes(entry.estimated_wait_seconds);
  document.getElementById("queue-leave").hidden = entry.status === "in_consultation";
}

const loadEntry = latestOnly(async (isLatest) => {
  try {
    const entries = await client.queueEntries();
    if (!isLatest()) return;
    entry = entries.find((item) => !FINAL.has(item.status)) || null;
    renderEntry();
  } catch (error) {
    if (error.status === 404) say(queueMessage, "The waiting room is not available on this server.");
    else say(queueMessage, explain(error), "error");
  }
});

async function loadQueues() {
  try {
    const queues = await client.queues();
    const select = document.getElementById("queue-select");
    select.replaceChildren(...queues.map((queue) => el("option", { value: queue.id, selected: queue.is_default }, queue.name)));
    document.getElementById("queue-select-row").hidden = queues.length < 2;
  } catch (_) {
    // Without queues the default one is used.
  }
}

joinForm.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const reason = document.getElementById("queue-reason").value.trim();
  if (!reason) { say(queueMessage, "Please say briefly why you came.", "error"); return; }
  const queue = document.getElementById("queue-select-row").hidden ? undefined : document.getElementById("queue-select").value;
  try {
    entry = await client.queueJoin({ reason, queue });
    say(queueMessage, "");
    renderEntry();
  } catch (error) {
    say(queueMessage, explain(error, { already_queued: "You are already in the waiting room." }), "error");
    loadEntry();
  }
});

document.getElementById("queue-leave").addEventListener("click", async () => {
  if (!entry) return;
  try {
    entry = await client.queueLeave(entry.id);
    say(queueMessage, "You left the waiting room.", "ok");
    renderEntry();
  } catch (error) {
    say(queueMessage, explain(error), "error");
  }
});

client.on("queue.position", async (event) => {
  if (!entry || entry.id !== event.entry) { await loadEntry(); return; }
  const statusChanged = entry.status !== event.status;
  Object.assign(entry, { status: event.status, position: event.position, estimated_wait_seconds: event.estimated_wait_seconds });
  renderEntry();
  if (statusChanged && (event.status === "claimed" || event.status === "in_consultation")) {
    try { entry = await client.queueEntry(entry.id); renderEntry(); } catch (_) { /* the event said enough */ }
  }
  if (FINAL.has(event.status)) say(queueMessage, `Your visit to the waiting room ended: ${STATUS_WORDS[event.status].toLowerCase()}.`, "ok");
});

// --- appointments ------------------------------------------------------------------------------

const slotForm = document.getElementById("slot-form");
const slotList = document.getElementById("slot-list");
const bookingMessage = document.getElementById("booking-message");
const rescheduleBanner = document.getElementById("reschedule-banner");
const dateInput = document.getElementById("book-date");
let rescheduling = null; // the appointment being moved, when the next slot chosen moves it

function nextWeekday() {
  const day = new Date();
  do { day.setDate(day.getDate() + 1); } while (day.getDay() === 0 || day.getDay() === 6);
  return day.toLocaleDateString("en-CA"); // YYYY-MM-DD
}
dateInput.value = nextWeekday();

const BOOKING_ERRORS = {
  slot_taken: "Sorry, that time was just taken by someone else. Please choose another time.",
  patient_busy: "You already have an appointment at that time.",
  day_full: "This doctor's day is full. Please choose another day.",
  too_soon: "That time is too soon to book. Please choose a later time.",
  notice_too_short: "It is too close to the appointment to change it online. Please call the clinic.",
  not_booked: "This appointment can no longer be changed.",
  check_in_not_open: "Check-in is not open yet: it opens shortly before the appointment.",
  check_in_closed: "Check-in has closed for this appointment.",
};

async function showSlots({ keepMessage = false } = {}) {
  if (!keepMessage) say(bookingMessage, "");
  const doctor = bookDoctor.value;
  if (!doctor || !dateInput.value) return;
  try {
    const day = dateInput.value;
    const answer = await client.slots(doctor, { start: day, end: day, tz: zone });
    slotList.dataset.day = day; // which day the list shows (the tests wait for it)
    if (!answer.slots.length) {
      slotList.replaceChildren(el("li", { class: "hint" }, "No free times that day."));
      return;
    }
    slotList.replaceChildren(...answer.slots.map((slot) => el("li", {},
      el("button", { type: "button", class: "slot", dataset: { start: slot.start }, onclick: () => chooseSlot(doctor, slot) },
        timeOf(slot.start, { weekday: undefined, month: undefined, day: undefined })))));
  } catch (error) {
    slotList.replaceChildren();
    say(bookingMessage, error.status === 404 && !error.code ? "Booking is not available on this server." : explain(error, BOOKING_ERRORS), "error");
  }
}

async function chooseSlot(doctor, slot) {
  const reason = document.getElementById("book-reason").value.trim() || "Consultation";
  try {
    if (rescheduling) {
      await client.appointmentReschedule(rescheduling.id, slot.start);
      say(bookingMessage, `Moved to ${timeOf(slot.start)}.`, "ok");
      rescheduling = null;
      rescheduleBanner.hidden = true;
    } else {
      await client.appointmentBook({ doctor, start: slot.start, reason });
      say(bookingMessage, `Booked: ${timeOf(slot.start)} with ${doctors.get(doctor)?.name || "your doctor"}.`, "ok");
    }
    loadAppointments();
  } catch (error) {
    say(bookingMessage, explain(error, BOOKING_ERRORS), "error");
  }
  refreshSlots();
}
const refreshSlots = debounce(() => showSlots({ keepMessage: true }), 50);

slotForm.addEventListener("submit", (submit) => { submit.preventDefault(); showSlots(); });
document.getElementById("reschedule-cancel").addEventListener("click", () => { rescheduling = null; rescheduleBanner.hidden = true; });

const myAppointments = document.getElementById("my-appointments");
const loadAppointments = latestOnly(async (isLatest) => {
  try {
    const { appointments } = await client.appointments();
    if (!isLatest()) return;
    const upcoming = appointments.filter((item) => ["booked", "arrived"].includes(item.status));
    if (!upcoming.length) { myAppointments.replaceChildren(el("li", { class: "hint" }, "No upcoming appointments.")); return; }
    myAppointments.replaceChildren(...upcoming.map((appointment) => el("li", { dataset: { appointmentId: appointment.id, status: appointment.status } },
      el("span", { class: "name" }, el("strong", {}, timeOf(appointment.start)), ` with ${appointment.doctor.name} · `, STATUS_WORDS[appointment.status] || appointment.status),
      appointment.status === "booked" && el("button", { type: "button", onclick: () => act(() => client.appointmentCheckIn(appointment.id), "Checked in: you are in the waiting room.") }, "Check in"),
      appointment.status === "booked" && el("button", { type: "button", onclick: () => startReschedule(appointment) }, "Reschedule"),
      appointment.status === "booked" && el("button", { type: "button", onclick: () => act(() => client.appointmentCancel(appointment.id, "Cancelled by the patient online"), "Appointment cancelled.") }, "Cancel"))));
  } catch (error) {
    if (isLatest()) myAppointments.replaceChildren(el("li", { class: "hint" }, error.status === 404 ? "Appointments are not available on this server." : explain(error)));
  }
});

async function act(call, done) {
  try {
    await call();
    say(bookingMessage, done, "ok");
  } catch (error) {
    say(bookingMessage, explain(error, BOOKING_ERRORS), "error");
  }
  loadAppointments();
  loadEntry();
}

function startReschedule(appointment) {
  rescheduling = appointment;
  bookDoctor.value = appointment.doctor.id;
  rescheduleBanner.hidden = false;
  showSlots();
  bookDoctor.focus();
}

client.on("appointment.changed", debounce(loadAppointments));
client.on("appointment.slot_available", () => refreshSlots());

// --- keeping in step ---------------------------------------------------------------------------

function reloadAll() {
  loadEntry();
  loadAppointments();
}
client.on("resync", reloadAll);
loadQueues();
reloadAll();
showSlots();

activityLog(client, (event) => {
  switch (event.type) {
    case "presence.changed": {
      const doctor = doctors.get(event.user);
      return doctor ? `${doctor.name} is now ${event.status}.` : null;
    }
    case "queue.position":
      if (event.position === 1) return "Waiting room: you are next.";
      if (event.position) return `Waiting room: you are number ${event.position}; estimated wait ${minutes(event.estimated_wait_seconds)}.`;
      return `Waiting room: ${(STATUS_WORDS[event.status] || event.status).toLowerCase()}.`;
    case "appointment.changed":
      return `Appointment on ${timeOf(event.appointment.start)}: ${(STATUS_WORDS[event.appointment.status] || event.appointment.status).toLowerCase()}.`;
    case "appointment.slot_available":
      return `A time became free with ${doctors.get(event.doctor)?.name || "a doctor"}: ${timeOf(event.slot.start)}.`;
    default:
      return null;
  }
});
