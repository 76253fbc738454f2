/** Chi può entrare in quale servizio: regole per servizio, codici di accesso, account disattivati, mail dell'helpdesk. */
import type { access as en } from '../en/access.js';

export const access: Record<keyof typeof en, string> = {
  'access.helpdesk': 'l’helpdesk dell’università',

  'access.not_allowed.title': 'Servizio non disponibile',
  'access.not_allowed.internal': 'Questo servizio non è disponibile per gli utenti interni.',
  'access.not_allowed.external': 'Questo servizio non è disponibile per gli utenti esterni.',
  'access.not_allowed.federated': 'Questo servizio non è disponibile per gli utenti di altri atenei.',
  'access.not_allowed.signed_in_as': 'Hai effettuato l’accesso come {name}.',
  'access.not_allowed.help': 'Se pensi di dover avere accesso, contatta {contact}.',
  'access.not_allowed.back': 'Torna al servizio',

  'access_code.title': 'Inserisci il codice di accesso',
  'access_code.intro': '{client} chiede un codice di accesso la prima volta che vi accedi. I codici di accesso li rilascia l’helpdesk: se te ne ha rilasciato uno, lo trovi nell’email che ti ha inviato, con oggetto “Il tuo codice di accesso per {client}”.',
  'access_code.once': 'Serve una volta sola: in seguito bastano nome utente e password.',
  'access_code.label': 'Codice di accesso',
  'access_code.hint': '8 lettere e cifre, per esempio ABCD-2345.',
  'access_code.submit': 'Continua',
  'access_code.request': 'Non hai un codice? Richiedilo a {contact}.',
  'access_code.cancel': 'Annulla e torna al servizio',
  'access_code.required': 'Inserisci il codice di accesso che ti ha inviato l\'helpdesk.',
  'access_code.format': 'Un codice di accesso ha 8 lettere e cifre, per esempio ABCD-2345.',
  'access_code.wrong': 'Il codice di accesso non è corretto. Tentativi rimasti: {left}.',
  'access_code.expired': 'Questo codice di accesso è scaduto. Richiedine uno nuovo a {contact}.',
  'access_code.used': 'Questo codice di accesso è già stato usato. Richiedine uno nuovo a {contact}.',
  'access_code.locked': 'Troppi tentativi errati: questo codice di accesso non è più valido. Richiedine uno nuovo a {contact}.',
  'access_code.revoked': 'Questo codice di accesso è stato ritirato. Richiedine uno nuovo a {contact}.',
  'access_code.none': 'Non ti è ancora stato assegnato un codice di accesso per questo servizio. Richiedilo a {contact}.',

  'login.disabled': 'Questo account è disattivato. Per saperne il motivo o per riattivarlo, contatta {contact}.',
  'login.pending': 'Questo account non è ancora attivo: apri il link nell’email di attivazione che ti abbiamo inviato.',
  'login.pending_link': 'Non l’hai ricevuta? Richiedine una nuova',

  'email_verify.title': 'Conferma il tuo indirizzo email',
  'email_verify.body': 'Conferma che {email} è il tuo indirizzo email.',
  'email_verify.confirm': 'Confermo il mio indirizzo',
  'email_verify.done': 'Grazie: {email} è ora confermato.',
  'email_verify.stale': 'Questo link riguarda un indirizzo che non è più associato all’account. Usa il link dell’email più recente.',

  'mail.access_code.subject': 'Il tuo codice di accesso per {client}',
  'mail.access_code.intro': 'Ecco il tuo codice di accesso per {client}. Ti verrà chiesto la prima volta che accedi a {client}; in seguito bastano nome utente e password.',
  'mail.access_code.code': 'Codice di accesso: {code}',
  'mail.access_code.valid': 'Il codice si può usare una sola volta ed è valido fino al {date}.',
  'mail.access_code.ignore': 'Se non hai richiesto questo codice, puoi ignorare questa email.',

  'mail.inactive.subject': 'Il tuo account universitario sarà disattivato',
  'mail.inactive.intro': 'Il tuo account {login} non è stato usato dal {since}.',
  'mail.inactive.when': 'Se non accedi a un servizio dell’università entro il {date}, l’account sarà disattivato e poi eliminato {days} giorni dopo.',
  'mail.inactive.keep': 'Per mantenerlo, basta accedere una volta a un qualsiasi servizio che usa l’accesso dell’università.',
  'mail.inactive.help': 'Domande? Contatta {contact}.',

  'mail.email_verify.subject': 'Conferma il tuo indirizzo email',
  'mail.email_verify.intro': 'L’helpdesk ha impostato questo indirizzo per il tuo account universitario {login}. Conferma che è tuo.',
  'mail.email_verify.action': 'Confermo il mio indirizzo',
  'mail.email_verify.valid': 'Il link è valido per {hours} ore e si può usare una sola volta.',
  'mail.email_set.subject': 'L’indirizzo email del tuo account universitario è cambiato',
  'mail.email_set.intro': 'Su tua richiesta, l’helpdesk ha cambiato l’indirizzo email del tuo account {login}. Le email ora arrivano al nuovo indirizzo.',
  'mail.email_set.not_you': 'Se non l’hai richiesto tu, contatta subito {contact}.',
};
