import type { Definition } from './definition';

/**
 * The standard relationship/transactional NPS survey: the recommend question (Reichheld's
 * wording) and an open comment whose prompt differs by category. Used for a new survey and
 * for the demo tenant.
 */
export function standardSurvey(company: string): Definition {
  return {
    questions: [
      { id: 'nps', type: 'nps', required: true },
      { id: 'reason', type: 'comment' },
    ],
    translations: {
      en: {
        'page.title': `Your feedback for ${company}`,
        'page.submit': 'Send',
        'page.thanks': 'Thank you for your feedback.',
        'page.expired': 'This survey has closed.',
        'nps.label': `How likely are you to recommend ${company} to a friend or colleague?`,
        'nps.low': 'Not at all likely',
        'nps.high': 'Extremely likely',
        'reason.label.detractor': 'We are sorry. What should we have done better?',
        'reason.label.passive': 'What would make us a 10 for you?',
        'reason.label.promoter': 'Great to hear! What did you like most?',
        'invite.subject': `How did we do? A quick question from ${company}`,
        'invite.body': `Please tell us in a few seconds how likely you are to recommend ${company}: {link}`,
      },
      de: {
        'page.title': `Ihre Meinung zu ${company}`,
        'page.submit': 'Senden',
        'page.thanks': 'Vielen Dank für Ihr Feedback.',
        'page.expired': 'Diese Umfrage ist beendet.',
        'nps.label': `Wie wahrscheinlich ist es, dass Sie ${company} einem Freund oder Kollegen empfehlen?`,
        'nps.low': 'Überhaupt nicht wahrscheinlich',
        'nps.high': 'Äußerst wahrscheinlich',
        'reason.label.detractor': 'Das tut uns leid. Was hätten wir besser machen sollen?',
        'reason.label.passive': 'Was müssten wir tun, damit Sie uns eine 10 geben?',
        'reason.label.promoter': 'Das freut uns! Was hat Ihnen am besten gefallen?',
        'invite.subject': `Wie war es? Eine kurze Frage von ${company}`,
        'invite.body': `Bitte sagen Sie uns in wenigen Sekunden, wie wahrscheinlich Sie ${company} empfehlen: {link}`,
      },
    },
  };
}
