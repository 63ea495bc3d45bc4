import { PASSWORD_MIN_LENGTH } from '../password/password-policy';

/**
 * The two pages the account mails link to, kept as string constants so they ship inside the compiled module (no
 * asset copying in the build) and are served from memory.
 *
 * Under the service's CSP (`script-src 'self'`): no inline script and no inline event handler; each page loads one
 * same-origin script file. The scripts read the token from the fragment (`#token=…`, never sent to a server), take it
 * out of the address bar, and only POST: GET changes nothing, so a mail scanner prefetching the link does nothing.
 * They write text with `textContent` only (never HTML), so nothing a server answers can inject markup.
 */

const STYLE = `
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1d2125; }
    h1 { font-size: 1.4rem; }
    [data-state="ok"] { color: #116329; }
    [data-state="error"] { color: #a40e26; }
    label { display: block; margin: 1rem 0 0.25rem; font-weight: 600; }
    input { width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; }
    button { margin-top: 1rem; padding: 0.5rem 1rem; font: inherit; }
    ul { padding-left: 1.2rem; }
`;

function page(title: string, script: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <link rel="icon" href="data:,">
    <title>${title}</title>
    <style>${STYLE}</style>
    <script src="/pages/${script}" defer></script>
  </head>
  <body>
    <main>
${body}
    </main>
  </body>
</html>
`;
}

export const VERIFY_EMAIL_HTML = page(
  'Confirm your email address',
  'verify-email.js',
  `      <h1>Confirm your email address</h1>
      <p id="status" role="status" data-state="pending">Confirming…</p>
      <noscript><p>This page needs JavaScript to send the confirmation.</p></noscript>`,
);

export const RESET_PASSWORD_HTML = page(
  'Choose a new password',
  'reset-password.js',
  `      <h1>Choose a new password</h1>
      <p>Setting a new password signs out every session and revokes every API key of the account.</p>
      <form id="reset" hidden>
        <label for="password">New password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required
               minlength="${PASSWORD_MIN_LENGTH}" maxlength="128" aria-describedby="feedback">
        <p>At least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words work well.
          <button id="suggest" type="button">Suggest one</button></p>
        <div id="feedback" aria-live="polite"></div>
        <button id="submit" type="submit">Set the new password</button>
      </form>
      <p id="status" role="status" data-state="pending"></p>
      <noscript><p>This page needs JavaScript to set the password.</p></noscript>`,
);

/** Shared by both scripts: the token from the fragment (then removed from the address bar), and problem texts. */
const COMMON = `
  function takeToken() {
    var token = new URLSearchParams(location.hash.slice(1)).get('token');
    if (location.hash) history.replaceState(null, '', location.pathname);
    return token && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : null;
  }
  function show(el, text, state) {
    el.textContent = text;
    el.setAttribute('data-state', state);
  }
  function postJson(path, body) {
    return fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, application/problem+json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: res.status, ok: res.ok, data: data || {}, retryAfter: res.headers.get('retry-after') };
      });
    });
  }
  function problemText(answer, invalidText) {
    var code = answer.data.code;
    if (code === 'TOKEN_INVALID' || answer.status === 400 && code === 'VALIDATION_FAILED' && !answer.data.errors)
      return invalidText;
    if (answer.status === 429)
      return 'Too many attempts from your network. Try again in ' + (answer.retryAfter || 'a few') + ' seconds.';
    return (answer.data.detail || answer.data.title || 'The service answered ' + answer.status + '.') +
      (code ? ' (' + code + ')' : '');
  }
`;

export const VERIFY_EMAIL_JS = `'use strict';
(function () {
${COMMON}
  var status = document.getElementById('status');
  var token = takeToken();
  if (!token) {
    show(status, 'This link has no valid token. Open the link from the mail as it is, or ask for a new mail.', 'error');
    return;
  }
  postJson('/v1/auth/email/verify', { token: token }).then(function (answer) {
    if (answer.ok && answer.data.emailVerified === true) show(status, 'Your email address is verified. You can close this page.', 'ok');
    else show(status, problemText(answer, 'This link is invalid, already used or expired. Sign in and ask for a new mail.'), 'error');
  }, function () {
    show(status, 'The service could not be reached. Try the link again.', 'error');
  });
})();
`;

export const RESET_PASSWORD_JS = `'use strict';
(function () {
${COMMON}
  var status = document.getElementById('status');
  var form = document.getElementById('reset');
  var input = document.getElementById('password');
  var feedback = document.getElementById('feedback');
  var submit = document.getElementById('submit');
  var token = takeToken();
  if (!token) {
    show(status, 'This link has no valid token. Open the link from the mail as it is, or ask for a new one.', 'error');
    return;
  }
  form.hidden = false;
  input.focus();

  function showFeedback(answer) {
    feedback.textContent = '';
    var head = document.createElement('p');
    head.setAttribute('data-state', 'error');
    head.textContent = answer.data.code === 'PASSWORD_TOO_WEAK'
      ? 'Not accepted: too weak' + (typeof answer.data.score === 'number' ? ' (strength ' + answer.data.score + ' of 4)' : '') + '.'
      : problemText(answer, 'This link is invalid, already used or expired. Ask for a new one.');
    feedback.appendChild(head);
    var hints = (answer.data.suggestions || []).concat((answer.data.errors || []).reduce(function (all, e) {
      return all.concat(e.messages || []);
    }, []));
    if (hints.length) {
      var list = document.createElement('ul');
      hints.forEach(function (hint) {
        var item = document.createElement('li');
        item.textContent = String(hint);
        list.appendChild(item);
      });
      feedback.appendChild(list);
    }
  }

  document.getElementById('suggest').addEventListener('click', function () {
    postJson('/v1/auth/password/suggest', { length: 20 }).then(function (answer) {
      if (!answer.ok) return showFeedback(answer);
      input.type = 'text';
      input.value = answer.data.password;
      feedback.textContent = 'A random password: store it in your password manager before you submit.';
    });
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    submit.disabled = true;
    show(status, 'Setting the password…', 'pending');
    postJson('/v1/auth/password/reset', { token: token, newPassword: input.value }).then(function (answer) {
      submit.disabled = false;
      if (answer.ok) {
        form.hidden = true;
        input.value = '';
        feedback.textContent = '';
        show(status, 'Your password is set. ' + answer.data.sessionsEnded + ' session(s) ended and ' +
          answer.data.apiKeysRevoked + ' API key(s) revoked. Sign in with the new password.', 'ok');
        return;
      }
      show(status, '', 'error');
      showFeedback(answer);
      if (answer.data.code === 'TOKEN_INVALID') form.hidden = true;
    }, function () {
      submit.disabled = false;
      show(status, 'The service could not be reached. Try again.', 'error');
    });
  });
})();
`;
