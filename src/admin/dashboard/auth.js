// The admin token lives in sessionStorage: this tab only, gone when it closes, never sent anywhere but in the
// Authorization header of the gateway's own /api calls. Wired when first imported (by api.js).

const TOKEN_KEY = 'rop-admin-token';

const form = document.getElementById('sign-in');
const input = document.getElementById('sign-in-token');
const reason = document.getElementById('sign-in-reason');
const signOut = document.getElementById('sign-out');

const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

/** The header that carries the token, when the reader gave one. */
export function authHeaders() {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * Shows the sign-in form after an /api call was answered 401. Polling goes on meanwhile, so a form already shown
 * is left alone: focus and half-typed input stay where they are.
 */
export function askForToken() {
  if (!form.hidden) return;
  reason.textContent = storedToken()
    ? 'The gateway refused the token this tab holds. Enter the admin or read-only token.'
    : 'This gateway asks for a token. Enter the admin or read-only token.';
  form.hidden = false;
  input.focus();
}

function showSignOut() {
  signOut.hidden = storedToken() === null;
}

// The next poll (within seconds) sends the new token; the form closes at once so the page shows it is trying.
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = input.value.trim();
  if (token === '') return;
  sessionStorage.setItem(TOKEN_KEY, token);
  input.value = '';
  form.hidden = true;
  showSignOut();
});

// A reload drops everything shown with the token; the first poll after it asks for a new one.
signOut.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

showSignOut();
