/** English messages of federated sign-in (institutions, SAML). */
export const federation = {
  'federation.title': 'Sign in with your institution',
  'federation.intro': 'From a partner university? Choose your home institution and sign in there.',
  'federation.unknown_idp': 'We do not know that institution, so you cannot sign in with it here. Choose another way to sign in.',
  'federation.idp_not_allowed': '{client} does not accept sign-in with {institution}. Choose another way to sign in.',
  'federation.error.title': 'Signing in with your institution did not work',
  'federation.error.status': '{institution} did not sign you in: the sign-in was cancelled or failed there.',
  'federation.error.expired': 'The answer from {institution} arrived too late, or its clock and ours disagree. Try again; if it keeps happening, tell the helpdesk of your institution.',
  'federation.error.invalid': 'The answer from {institution} could not be verified, so we did not use it. Try again, or choose another way to sign in.',
  'federation.error.replayed': 'This answer from {institution} was already used. Try again.',
  'federation.error.unsolicited': 'This answer from an institution was not expected here, or it has expired. Go back to the service and start again.',
  'federation.error.no_identifier': '{institution} did not send an identifier for you, so we could not recognise you next time. Ask your institution to release a persistent identifier to this service, or choose another way to sign in.',
  'federation.error.unknown_idp': 'The institution that answered is no longer one you can sign in with here. Choose another way to sign in.',
  'federation.error.disabled': 'Your account is disabled. Contact the helpdesk if you think this is a mistake.',
  'federation.try_again': 'Try again',
  'federation.other_way': 'Choose another way to sign in',
  'consent.scope.eduperson': 'see your institution and your role there',
} as const;
