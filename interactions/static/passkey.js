/* global document */
// Porta's passkey pages: a form with data-passkey="register" or "authenticate" and its options in
// data-options (with a button marked data-passkey-button, only that button asks for the passkey). The button asks the browser for the passkey (via @simplewebauthn/browser, served by
// Porta), puts the result in the hidden field `response`, and posts the form as usual. Without
// JavaScript the form stays hidden and the page's <noscript> text says why.
import { startAuthentication, startRegistration } from '/static/simplewebauthn/index.js';

for (const form of document.querySelectorAll('form[data-passkey]')) {
  form.hidden = false;
  // A form with its own passkey button (a re-proof: password and a code, or the passkey) asks only for it.
  const button = form.querySelector('button[data-passkey-button]');
  if (button) button.hidden = false;
  let asked = false;
  form.addEventListener('submit', async (event) => {
    if (asked || (button && event.submitter !== button)) return;
    event.preventDefault();
    const out = form.querySelector('input[name="response"]');
    try {
      const optionsJSON = JSON.parse(form.dataset.options);
      const result = form.dataset.passkey === 'register' ? await startRegistration({ optionsJSON }) : await startAuthentication({ optionsJSON });
      out.value = JSON.stringify(result);
    } catch {
      out.value = ''; // cancelled or refused: the server answers that it did not work
    }
    asked = true;
    form.requestSubmit(button ?? undefined);
  });
}
