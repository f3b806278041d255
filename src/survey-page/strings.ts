import { chooseLocale } from '../surveys/definition';

/**
 * The page's own words, which no survey definition carries: the pages for a link that is not
 * valid or has closed (shown before any survey is known) and the form's messages. A survey's
 * locale without an entry here falls back to the best match of Accept-Language, then English.
 */
export interface PageStrings {
  invalidTitle: string;
  invalidBody: string;
  closedTitle: string;
  closedBody: string;
  errorSummary: string;
  chooseScore: string;
  required: string;
  invalidAnswer: string;
  saved: string;
  yourScore: string;
  rateLimited: string;
  failed: string;
  close: string;
}

export const STRINGS: Record<string, PageStrings> = {
  en: {
    invalidTitle: 'This link is not valid',
    invalidBody: 'Please open the complete link from your invitation. If it still does not work, the link may have been changed.',
    closedTitle: 'This survey has closed',
    closedBody: 'Thank you for your interest. This survey no longer accepts answers.',
    errorSummary: 'Please check your answers.',
    chooseScore: 'Please choose a score from 0 to 10.',
    required: 'Please answer this question.',
    invalidAnswer: 'This answer is not valid.',
    saved: 'Your score is saved. Thank you!',
    yourScore: 'Your score: {score}',
    rateLimited: 'Too many answers were sent from your network. Please try again later.',
    failed: 'Something went wrong. Please try again.',
    close: 'Close',
  },
  de: {
    invalidTitle: 'Dieser Link ist ungültig',
    invalidBody: 'Bitte öffnen Sie den vollständigen Link aus Ihrer Einladung. Funktioniert er dann nicht, wurde der Link möglicherweise verändert.',
    closedTitle: 'Diese Umfrage ist beendet',
    closedBody: 'Vielen Dank für Ihr Interesse. Diese Umfrage nimmt keine Antworten mehr entgegen.',
    errorSummary: 'Bitte prüfen Sie Ihre Antworten.',
    chooseScore: 'Bitte wählen Sie einen Wert von 0 bis 10.',
    required: 'Bitte beantworten Sie diese Frage.',
    invalidAnswer: 'Diese Antwort ist ungültig.',
    saved: 'Ihre Bewertung ist gespeichert. Vielen Dank!',
    yourScore: 'Ihre Bewertung: {score}',
    rateLimited: 'Aus Ihrem Netzwerk wurden zu viele Antworten gesendet. Bitte versuchen Sie es später erneut.',
    failed: 'Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.',
    close: 'Schließen',
  },
  fr: {
    invalidTitle: "Ce lien n'est pas valide",
    invalidBody: "Veuillez ouvrir le lien complet de votre invitation. S'il ne fonctionne toujours pas, il a peut-être été modifié.",
    closedTitle: 'Cette enquête est close',
    closedBody: "Merci de votre intérêt. Cette enquête n'accepte plus de réponses.",
    errorSummary: 'Veuillez vérifier vos réponses.',
    chooseScore: 'Veuillez choisir une note de 0 à 10.',
    required: 'Veuillez répondre à cette question.',
    invalidAnswer: "Cette réponse n'est pas valide.",
    saved: 'Votre note est enregistrée. Merci !',
    yourScore: 'Votre note : {score}',
    rateLimited: 'Trop de réponses ont été envoyées depuis votre réseau. Veuillez réessayer plus tard.',
    failed: "Une erreur s'est produite. Veuillez réessayer.",
    close: 'Fermer',
  },
  es: {
    invalidTitle: 'Este enlace no es válido',
    invalidBody: 'Abra el enlace completo de su invitación. Si sigue sin funcionar, es posible que el enlace se haya modificado.',
    closedTitle: 'Esta encuesta ha finalizado',
    closedBody: 'Gracias por su interés. Esta encuesta ya no acepta respuestas.',
    errorSummary: 'Revise sus respuestas.',
    chooseScore: 'Elija una puntuación de 0 a 10.',
    required: 'Responda a esta pregunta.',
    invalidAnswer: 'Esta respuesta no es válida.',
    saved: 'Su puntuación se ha guardado. ¡Gracias!',
    yourScore: 'Su puntuación: {score}',
    rateLimited: 'Se han enviado demasiadas respuestas desde su red. Inténtelo de nuevo más tarde.',
    failed: 'Algo salió mal. Inténtelo de nuevo.',
    close: 'Cerrar',
  },
  ar: {
    invalidTitle: 'هذا الرابط غير صالح',
    invalidBody: 'يُرجى فتح الرابط الكامل من دعوتك. إذا لم يعمل بعد ذلك، فربما تم تغيير الرابط.',
    closedTitle: 'تم إغلاق هذا الاستطلاع',
    closedBody: 'شكرًا لاهتمامك. لم يعد هذا الاستطلاع يقبل إجابات.',
    errorSummary: 'يُرجى مراجعة إجاباتك.',
    chooseScore: 'يُرجى اختيار درجة من 0 إلى 10.',
    required: 'يُرجى الإجابة عن هذا السؤال.',
    invalidAnswer: 'هذه الإجابة غير صالحة.',
    saved: 'تم حفظ تقييمك. شكرًا لك!',
    yourScore: 'تقييمك: {score}',
    rateLimited: 'تم إرسال عدد كبير جدًا من الإجابات من شبكتك. يُرجى المحاولة لاحقًا.',
    failed: 'حدث خطأ ما. يُرجى المحاولة مرة أخرى.',
    close: 'إغلاق',
  },
  he: {
    invalidTitle: 'הקישור אינו תקין',
    invalidBody: 'יש לפתוח את הקישור המלא מההזמנה. אם הוא עדיין לא עובד, ייתכן שהקישור שונה.',
    closedTitle: 'הסקר הסתיים',
    closedBody: 'תודה על ההתעניינות. הסקר אינו מקבל עוד תשובות.',
    errorSummary: 'יש לבדוק את התשובות.',
    chooseScore: 'יש לבחור ציון בין 0 ל-10.',
    required: 'יש לענות על שאלה זו.',
    invalidAnswer: 'תשובה זו אינה תקינה.',
    saved: 'הציון שלך נשמר. תודה!',
    yourScore: 'הציון שלך: {score}',
    rateLimited: 'נשלחו יותר מדי תשובות מהרשת שלך. יש לנסות שוב מאוחר יותר.',
    failed: 'משהו השתבש. יש לנסות שוב.',
    close: 'סגירה',
  },
};

const LOCALES = Object.keys(STRINGS);

/** The locale of the page's own words: the page's locale if there are words for it, else Accept-Language, else English. */
export function stringsLocale(pageLocale: string | null, acceptLanguage: string | null | undefined): string {
  return chooseLocale(LOCALES, 'en', pageLocale, acceptLanguage);
}
