// Who is signed in on this page, the CSRF token for posts, and the field app's addresses — read from
// the <meta> tags of the page (crm/templates/field/_head.html). A page shown from the phone's copy may
// carry an old token: refreshSession() asks the server for the current one.

function meta(name) {
  const el = document.querySelector('meta[name="' + name + '"]');
  return el ? el.getAttribute("content") || "" : "";
}

let token = "";

export const urls = {
  sync: meta("crm-sync-url"),
  session: meta("crm-session-url"),
  drafts: meta("crm-drafts-url"),
  forms: meta("crm-forms-url"),
};

// The signed-in user's id on this page ("" when nobody is, e.g. the login or offline page).
export function pageUser() {
  return meta("crm-user");
}

// The user this phone was last used by (the offline page has no session to ask).
export function lastUser() {
  try {
    return pageUser() || localStorage.getItem("ltq-user") || "";
  } catch (error) {
    return pageUser();
  }
}

export function rememberUser() {
  try {
    if (pageUser()) { localStorage.setItem("ltq-user", pageUser()); }
  } catch (error) { /* private mode: nothing to remember */ }
}

export function csrfToken() {
  return token || meta("csrf-token");
}

// {user_id, csrf_token} from the server, or null when the session has ended; throws when offline.
export async function refreshSession() {
  const response = await fetch(urls.session || "/field/session", {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    cache: "no-store",
  });
  if (response.status === 401) {
    return null;
  }
  const data = await response.json();
  token = data.csrf_token || token;
  return data;
}

// A random RFC 4122 version-4 id (crypto.randomUUID needs HTTPS; getRandomValues does not).
export function newClientId() {
  if (self.crypto && crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
}
