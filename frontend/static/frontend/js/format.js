/** format.js — how the dashboard writes times and counts for people. */

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const number = new Intl.NumberFormat();

/** "just now", "3 min ago", "2 hr ago", then the date for anything older than a day. */
export function formatRelative(epochMs, now = Date.now()) {
  if (!Number.isFinite(epochMs)) return "—";
  const seconds = Math.round((now - epochMs) / 1000);
  if (seconds < 10) return "just now";
  if (seconds < 60) return relative.format(-seconds, "second");
  if (seconds < 3600) return relative.format(-Math.floor(seconds / 60), "minute");
  if (seconds < 86400) return relative.format(-Math.floor(seconds / 3600), "hour");
  return dateTime.format(epochMs);
}

export function formatCount(value) {
  return number.format(value);
}
