// The API key lives in this module's memory. Only when the user asks does it
// also go to sessionStorage (this tab, gone when the tab closes); it is never
// put in a URL, a cookie or localStorage, and it leaves the page only as the
// Authorization header of requests to this origin.

const STORAGE_NAME = "conexor.apiKey";
let apiKey = null;
let me = null;

export function restore() {
  try {
    apiKey = sessionStorage.getItem(STORAGE_NAME);
  } catch {
    apiKey = null; // storage disabled: memory only
  }
  return apiKey;
}

/**
 * @param {string} key
 * @param {object} who  the /api/v1/me reply for this key
 * @param {boolean} remember  keep the key in sessionStorage for this tab
 */
export function signIn(key, who, remember) {
  apiKey = key;
  me = who;
  try {
    if (remember) sessionStorage.setItem(STORAGE_NAME, key);
    else sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // storage disabled: memory only
  }
}

/** Replace the key in place (after rotation), keeping the user's storage choice. */
export function replaceKey(key, who) {
  let remembered = false;
  try {
    remembered = sessionStorage.getItem(STORAGE_NAME) !== null;
  } catch {
    remembered = false;
  }
  signIn(key, who, remembered);
}

export function signOut() {
  apiKey = null;
  me = null;
  try {
    sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // nothing stored
  }
}

export function key() {
  return apiKey;
}

export function whoami() {
  return me;
}

export function setWhoami(who) {
  me = who;
}
