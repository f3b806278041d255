/**
 * The starter library for service operations (docs/themes.md "Theme library"): seven themes with
 * terms in the languages below. A tenant's library starts with the themes in the languages of its
 * surveys; admins edit it from there. Inflections need not be listed: terms match by stem (and,
 * in compounding languages, as the head of a compound).
 */
export const STARTER: { name: string; terms: Record<string, string[]> }[] = [
  {
    name: 'Waiting time',
    terms: {
      en: ['wait', 'waiting time', 'delay', 'queue', 'hold', 'slow'],
      de: ['warten', 'gewartet', 'Wartezeit', 'Verzögerung', 'Warteschleife', 'langsam'],
      fr: ['attendre', 'attente', 'attendu', 'attendais', 'retard', 'délai', 'lent'],
      es: ['esperar', 'espera', 'retraso', 'demora', 'lento'],
      it: ['attesa', 'aspettare', 'ritardo', 'lento'],
      nl: ['wachten', 'wachttijd', 'vertraging', 'traag'],
      pt: ['esperar', 'espera', 'atraso', 'demora', 'lento'],
    },
  },
  {
    name: 'Technician skill',
    terms: {
      en: ['technician', 'engineer', 'skill', 'competent', 'incompetent', 'expertise', 'repair'],
      de: ['Techniker', 'Monteur', 'kompetent', 'inkompetent', 'Fachwissen', 'Reparatur', 'reparieren'],
      fr: ['technicien', 'compétent', 'incompétent', 'réparation', 'réparer', 'intervenant'],
      es: ['técnico', 'competente', 'incompetente', 'reparación', 'reparar'],
      it: ['tecnico', 'competente', 'incompetente', 'riparazione', 'riparare'],
      nl: ['monteur', 'technicus', 'deskundig', 'reparatie', 'repareren'],
      pt: ['técnico', 'competente', 'incompetente', 'reparação', 'conserto'],
    },
  },
  {
    name: 'Communication',
    terms: {
      en: ['communication', 'communicate', 'inform', 'call back', 'callback', 'respond', 'response', 'update'],
      de: ['Kommunikation', 'informiert', 'Information', 'Rückruf', 'zurückrufen', 'Antwort', 'erreichbar'],
      fr: ['communication', 'informé', 'information', 'rappeler', 'réponse', 'répondre', 'joignable'],
      es: ['comunicación', 'informar', 'información', 'llamada', 'respuesta', 'responder'],
      it: ['comunicazione', 'informazioni', 'richiamare', 'risposta'],
      nl: ['communicatie', 'informatie', 'terugbellen', 'antwoord'],
      pt: ['comunicação', 'informação', 'resposta', 'responder'],
    },
  },
  {
    name: 'Billing',
    terms: {
      en: ['bill', 'billing', 'invoice', 'charge', 'overcharged', 'price', 'payment', 'refund'],
      de: ['Rechnung', 'Abrechnung', 'Preis', 'Kosten', 'Zahlung', 'Erstattung', 'berechnet'],
      fr: ['facture', 'facturation', 'prix', 'paiement', 'remboursement', 'coût', 'tarif'],
      es: ['factura', 'facturación', 'precio', 'pago', 'reembolso', 'cobro', 'coste'],
      it: ['fattura', 'fatturazione', 'prezzo', 'pagamento', 'rimborso', 'costo'],
      nl: ['factuur', 'rekening', 'prijs', 'betaling', 'terugbetaling', 'kosten'],
      pt: ['fatura', 'faturação', 'preço', 'pagamento', 'reembolso', 'cobrança'],
    },
  },
  {
    name: 'Scheduling',
    terms: {
      en: ['appointment', 'schedule', 'reschedule', 'booking', 'cancel', 'late', 'punctual', 'slot'],
      de: ['Termin', 'verschoben', 'abgesagt', 'pünktlich', 'verspätet', 'Verspätung'],
      fr: ['rendez-vous', 'planning', 'annulé', 'annulation', 'ponctuel', 'créneau'],
      es: ['cita', 'programar', 'cancelar', 'cancelado', 'puntual', 'horario'],
      it: ['appuntamento', 'programmazione', 'annullato', 'puntuale'],
      nl: ['afspraak', 'planning', 'geannuleerd', 'punctueel'],
      pt: ['marcação', 'agendamento', 'cancelado', 'pontual', 'horário'],
    },
  },
  {
    name: 'Product quality',
    terms: {
      en: ['quality', 'product', 'broken', 'defect', 'defective', 'faulty', 'damaged', 'breakdown'],
      de: ['Qualität', 'Produkt', 'kaputt', 'defekt', 'beschädigt', 'Mangel'],
      fr: ['qualité', 'produit', 'cassé', 'défectueux', 'endommagé', 'panne'],
      es: ['calidad', 'producto', 'roto', 'defectuoso', 'dañado', 'avería'],
      it: ['qualità', 'prodotto', 'rotto', 'difettoso', 'danneggiato', 'guasto'],
      nl: ['kwaliteit', 'product', 'kapot', 'defect', 'beschadigd'],
      pt: ['qualidade', 'produto', 'quebrado', 'defeituoso', 'danificado', 'avaria'],
    },
  },
  {
    name: 'Friendliness',
    terms: {
      en: ['friendly', 'unfriendly', 'rude', 'polite', 'impolite', 'kind', 'courteous', 'attitude'],
      de: ['freundlich', 'unfreundlich', 'höflich', 'unhöflich', 'nett', 'Umgangston'],
      fr: ['aimable', 'poli', 'impoli', 'sympathique', 'désagréable', 'courtois', 'accueil'],
      es: ['amable', 'educado', 'maleducado', 'grosero', 'simpático', 'cortés', 'trato'],
      it: ['gentile', 'cortese', 'scortese', 'maleducato', 'simpatico'],
      nl: ['vriendelijk', 'onvriendelijk', 'beleefd', 'onbeleefd', 'onaardig'],
      pt: ['simpático', 'educado', 'grosseiro', 'grosseria', 'cortês', 'atendimento'],
    },
  },
];

/** The languages the starter library has terms in. */
export const STARTER_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'];
