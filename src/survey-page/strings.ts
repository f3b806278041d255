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
  /** The page while the database does not answer and the survey is not at hand (docs/outage.md). */
  busyTitle: string;
  busyBody: string;
  /** The thank-you when the survey's own words are not at hand (an answer buffered in an outage). */
  thanks: string;
  /**
   * The thank-you page's words for each category (a survey's `thanks.<category>` replaces them):
   * a detractor is told when someone will contact them, `{time}` the case's first-contact target
   * ("48 hours", "2 days"), the business variant when the tenant counts in business hours;
   * `thanksDetractorLater` when the time is not known (the page opened again later).
   */
  thanksDetractor: string;
  thanksDetractorBusiness: string;
  thanksDetractorLater: string;
  thanksPassive: string;
  thanksPromoter: string;
  /** The HTML invitation: the greeting (`{name}` the contact's first name, the other without one), the scale's hint, the plain link's lead. */
  emailGreeting: string;
  emailGreetingNoName: string;
  emailScaleHint: string;
  emailOrOpen: string;
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
    busyTitle: 'Please try again in a minute',
    busyBody: 'We cannot open this survey right now. Your link is fine: please open it again in a minute.',
    thanks: 'Thank you for your feedback.',
    thanksDetractor: 'We are sorry we let you down. Someone from our team will contact you within {time}.',
    thanksDetractorBusiness: 'We are sorry we let you down. Someone from our team will contact you within {time} of business hours.',
    thanksDetractorLater: 'We are sorry we let you down. Someone from our team will contact you soon.',
    thanksPassive: 'Thank you. Your answer helps us see what would make us a 10 for you.',
    thanksPromoter: 'Thank you! We are glad you would recommend us.',
    emailGreeting: 'Hello {name},',
    emailGreetingNoName: 'Hello,',
    emailScaleHint: 'Choose a number: the survey opens with your score selected.',
    emailOrOpen: 'Or open the survey:',
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
    busyTitle: 'Bitte versuchen Sie es in einer Minute erneut',
    busyBody: 'Wir können diese Umfrage gerade nicht öffnen. Ihr Link ist in Ordnung: Bitte öffnen Sie ihn in einer Minute erneut.',
    thanks: 'Vielen Dank für Ihr Feedback.',
    thanksDetractor: 'Es tut uns leid, dass wir Sie enttäuscht haben. Jemand aus unserem Team meldet sich innerhalb von {time} bei Ihnen.',
    thanksDetractorBusiness: 'Es tut uns leid, dass wir Sie enttäuscht haben. Jemand aus unserem Team meldet sich innerhalb von {time} Geschäftszeit bei Ihnen.',
    thanksDetractorLater: 'Es tut uns leid, dass wir Sie enttäuscht haben. Jemand aus unserem Team meldet sich bald bei Ihnen.',
    thanksPassive: 'Vielen Dank. Ihre Antwort zeigt uns, was zur 10 fehlt.',
    thanksPromoter: 'Vielen Dank! Es freut uns, dass Sie uns empfehlen würden.',
    emailGreeting: 'Hallo {name},',
    emailGreetingNoName: 'Hallo,',
    emailScaleHint: 'Wählen Sie eine Zahl: Die Umfrage öffnet sich mit Ihrer Bewertung.',
    emailOrOpen: 'Oder öffnen Sie die Umfrage:',
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
    busyTitle: 'Veuillez réessayer dans une minute',
    busyBody: "Nous ne pouvons pas ouvrir cette enquête pour le moment. Votre lien est correct : veuillez l'ouvrir à nouveau dans une minute.",
    thanks: 'Merci pour votre avis.',
    thanksDetractor: 'Nous sommes désolés de vous avoir déçu. Un membre de notre équipe vous contactera dans un délai de {time}.',
    thanksDetractorBusiness: 'Nous sommes désolés de vous avoir déçu. Un membre de notre équipe vous contactera dans un délai de {time} ouvrées.',
    thanksDetractorLater: 'Nous sommes désolés de vous avoir déçu. Un membre de notre équipe vous contactera bientôt.',
    thanksPassive: 'Merci. Votre réponse nous aide à voir ce qui mériterait un 10.',
    thanksPromoter: 'Merci ! Nous sommes heureux que vous nous recommandiez.',
    emailGreeting: 'Bonjour {name},',
    emailGreetingNoName: 'Bonjour,',
    emailScaleHint: "Choisissez une note : l'enquête s'ouvre avec votre note sélectionnée.",
    emailOrOpen: "Ou ouvrez l'enquête :",
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
    busyTitle: 'Inténtelo de nuevo en un minuto',
    busyBody: 'No podemos abrir esta encuesta en este momento. Su enlace es correcto: vuelva a abrirlo en un minuto.',
    thanks: 'Gracias por su opinión.',
    thanksDetractor: 'Sentimos haberle decepcionado. Alguien de nuestro equipo se pondrá en contacto con usted en un plazo de {time}.',
    thanksDetractorBusiness: 'Sentimos haberle decepcionado. Alguien de nuestro equipo se pondrá en contacto con usted en un plazo de {time} de horario laboral.',
    thanksDetractorLater: 'Sentimos haberle decepcionado. Alguien de nuestro equipo se pondrá en contacto con usted pronto.',
    thanksPassive: 'Gracias. Su respuesta nos ayuda a ver qué nos falta para un 10.',
    thanksPromoter: '¡Gracias! Nos alegra que nos recomendaría.',
    emailGreeting: 'Hola, {name}:',
    emailGreetingNoName: 'Hola:',
    emailScaleHint: 'Elija un número: la encuesta se abre con su puntuación seleccionada.',
    emailOrOpen: 'O abra la encuesta:',
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
    busyTitle: 'يُرجى المحاولة مرة أخرى بعد دقيقة',
    busyBody: 'لا يمكننا فتح هذا الاستطلاع الآن. رابطك سليم: يُرجى فتحه مرة أخرى بعد دقيقة.',
    thanks: 'شكرًا لملاحظاتك.',
    thanksDetractor: 'نأسف لأننا خيّبنا ظنك. سيتواصل معك أحد أعضاء فريقنا خلال {time}.',
    thanksDetractorBusiness: 'نأسف لأننا خيّبنا ظنك. سيتواصل معك أحد أعضاء فريقنا خلال {time} من ساعات العمل.',
    thanksDetractorLater: 'نأسف لأننا خيّبنا ظنك. سيتواصل معك أحد أعضاء فريقنا قريبًا.',
    thanksPassive: 'شكرًا لك. تساعدنا إجابتك على معرفة ما ينقصنا لنستحق 10.',
    thanksPromoter: 'شكرًا لك! يسعدنا أنك ستوصي بنا.',
    emailGreeting: 'مرحبًا {name}،',
    emailGreetingNoName: 'مرحبًا،',
    emailScaleHint: 'اختر رقمًا: يُفتح الاستطلاع وقد حُدِّد تقييمك.',
    emailOrOpen: 'أو افتح الاستطلاع:',
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
    busyTitle: 'יש לנסות שוב בעוד דקה',
    busyBody: 'לא ניתן לפתוח את הסקר כרגע. הקישור תקין: יש לפתוח אותו שוב בעוד דקה.',
    thanks: 'תודה על המשוב.',
    thanksDetractor: 'אנו מצטערים שאכזבנו אותך. נציג מהצוות שלנו ייצור איתך קשר בתוך {time}.',
    thanksDetractorBusiness: 'אנו מצטערים שאכזבנו אותך. נציג מהצוות שלנו ייצור איתך קשר בתוך {time} של שעות עבודה.',
    thanksDetractorLater: 'אנו מצטערים שאכזבנו אותך. נציג מהצוות שלנו ייצור איתך קשר בקרוב.',
    thanksPassive: 'תודה. התשובה שלך עוזרת לנו להבין מה חסר כדי לקבל 10.',
    thanksPromoter: 'תודה! אנו שמחים שהיית ממליץ עלינו.',
    emailGreeting: 'שלום {name},',
    emailGreetingNoName: 'שלום,',
    emailScaleHint: 'יש לבחור מספר: הסקר ייפתח עם הציון שבחרת.',
    emailOrOpen: 'או לפתוח את הסקר:',
  },
};

const LOCALES = Object.keys(STRINGS);

/** The locale of the page's own words: the page's locale if there are words for it, else Accept-Language, else English. */
export function stringsLocale(pageLocale: string | null, acceptLanguage: string | null | undefined): string {
  return chooseLocale(LOCALES, 'en', pageLocale, acceptLanguage);
}
