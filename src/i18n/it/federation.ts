/** Messaggi italiani dell'accesso federato (istituzioni, SAML). */
import type { federation as en } from '../en/federation.js';

export const federation: Record<keyof typeof en, string> = {
  'federation.title': 'Accedi con la tua istituzione',
  'federation.intro': 'Vieni da un’università partner? Scegli la tua istituzione e accedi lì.',
  'federation.unknown_idp': 'Non conosciamo questa istituzione, quindi qui non puoi accedere con essa. Scegli un altro modo per accedere.',
  'federation.idp_not_allowed': '{client} non accetta l’accesso con {institution}. Scegli un altro modo per accedere.',
  'federation.error.title': 'L’accesso con la tua istituzione non è riuscito',
  'federation.error.status': '{institution} non ti ha fatto accedere: l’accesso è stato annullato o non è riuscito.',
  'federation.error.expired': 'La risposta di {institution} è arrivata troppo tardi, oppure il suo orologio e il nostro non concordano. Riprova; se succede ancora, avvisa l’assistenza della tua istituzione.',
  'federation.error.invalid': 'Non è stato possibile verificare la risposta di {institution}, quindi non l’abbiamo usata. Riprova, oppure scegli un altro modo per accedere.',
  'federation.error.replayed': 'Questa risposta di {institution} è già stata usata. Riprova.',
  'federation.error.unsolicited': 'Questa risposta di un’istituzione non era attesa qui, oppure è scaduta. Torna al servizio e ricomincia.',
  'federation.error.no_identifier': '{institution} non ha inviato un tuo identificativo, quindi non potremmo riconoscerti la prossima volta. Chiedi alla tua istituzione di rilasciare a questo servizio un identificativo persistente, oppure scegli un altro modo per accedere.',
  'federation.error.unknown_idp': 'L’istituzione che ha risposto non è più tra quelle con cui puoi accedere qui. Scegli un altro modo per accedere.',
  'federation.error.disabled': 'Il tuo account è disattivato. Contatta l’assistenza se pensi che sia un errore.',
  'federation.try_again': 'Riprova',
  'federation.other_way': 'Scegli un altro modo per accedere',
  'mfa.enrol.signin_intro_federated': '{client} richiede l\'autenticazione a due fattori: oltre all\'accesso con la tua istituzione, un codice da un\'app sul tuo telefono. La configurazione richiede un minuto.',
  'consent.scope.eduperson': 'vedere la tua istituzione e il tuo ruolo lì',
};
