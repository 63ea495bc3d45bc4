/**
 * The passkey page: drives the browser's WebAuthn ceremonies against the API, so passkeys are usable (and testable)
 * without a front end. Like the account pages (libs/auth/src/pages) it lives under the service's CSP
 * (`script-src 'self'`): no inline script or handler, one same-origin script, text written with textContent only.
 * The session token or mfaToken arrives in the fragment (never sent to a server) and leaves the address bar at once.
 * It uses the browser's own JSON helpers (PublicKeyCredential.parse…OptionsFromJSON, credential.toJSON()).
 */
export const PASSKEYS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <link rel="icon" href="data:,">
    <title>Passkeys</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1d2125; }
      [data-state="ok"] { color: #116329; }
      [data-state="error"] { color: #a40e26; }
      button { margin: 0.5rem 0.5rem 0 0; padding: 0.5rem 1rem; font: inherit; }
      input { padding: 0.4rem; font: inherit; }
    </style>
    <script src="/pages/passkeys.js" defer></script>
  </head>
  <body>
    <main>
      <h1>Passkeys</h1>
      <section id="register-section" hidden>
        <label for="name">Name of the new passkey</label>
        <input id="name" maxlength="64" placeholder="Laptop">
        <button id="register" type="button">Register a passkey</button>
      </section>
      <button id="second" type="button" hidden>Continue signing in with a passkey</button>
      <button id="passwordless" type="button">Sign in with a passkey</button>
      <p id="status" role="status" data-state="pending"></p>
      <p><output id="token" hidden></output></p>
      <noscript><p>This page needs JavaScript for passkeys.</p></noscript>
    </main>
  </body>
</html>
`;

export const PASSKEYS_JS = `(function () {
  'use strict';
  var params = new URLSearchParams(location.hash.slice(1));
  if (location.hash) history.replaceState(null, '', location.pathname);
  var session = params.get('session');
  var mfaToken = params.get('mfaToken');
  var status = document.getElementById('status');
  var out = document.getElementById('token');

  function show(text, state) {
    status.textContent = text;
    status.setAttribute('data-state', state);
  }
  function post(path, body, token) {
    var headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(path, {
      method: 'POST', headers: headers, body: JSON.stringify(body || {}), credentials: 'omit', cache: 'no-store',
    }).then(function (res) {
      return res.json().then(function (b) {
        if (!res.ok) throw new Error((b && (b.detail || b.title)) || 'The request was refused.');
        return b;
      });
    });
  }
  function signedIn(res) {
    out.textContent = res.token;
    out.hidden = false;
    show('Signed in as ' + res.user.email + '.', 'ok');
  }
  function run(fn) {
    return function () {
      show('Waiting for the passkey…', 'pending');
      fn().catch(function (e) { show(e && e.message ? e.message : 'It did not work.', 'error'); });
    };
  }
  var register = run(async function () {
    var options = await post('/v1/auth/mfa/webauthn/register/options', {}, session);
    var credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    var name = document.getElementById('name').value.trim();
    var res = await post('/v1/auth/mfa/webauthn/register/verify',
      name ? { response: credential.toJSON(), name: name } : { response: credential.toJSON() }, session);
    show('Passkey registered.' + (res.recoveryCodes.length
      ? ' Keep these recovery codes somewhere safe: ' + res.recoveryCodes.join('  ') : ''), 'ok');
  });
  var second = run(async function () {
    var options = await post('/v1/auth/login/mfa/webauthn/options', { mfaToken: mfaToken });
    var credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    signedIn(await post('/v1/auth/login/mfa', { mfaToken: mfaToken, webauthn: credential.toJSON() }));
  });
  var passwordless = run(async function () {
    var options = await post('/v1/auth/passkey/options');
    var credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    signedIn(await post('/v1/auth/passkey/login', { webauthn: credential.toJSON() }));
  });

  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    show('This browser does not support passkeys.', 'error');
    return;
  }
  if (session) document.getElementById('register-section').hidden = false;
  if (mfaToken) document.getElementById('second').hidden = false;
  document.getElementById('register').addEventListener('click', register);
  document.getElementById('second').addEventListener('click', second);
  document.getElementById('passwordless').addEventListener('click', passwordless);
  show('Ready.', 'ready');
})();
`;
