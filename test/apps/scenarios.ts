// Scripted conversations for the support-assistant test app. The personal
// data in them is fictional but shaped like the real thing — reserved
// example.* email domains, 555 phone numbers, well-known test card numbers
// that pass the Luhn check, the ISO 13616 example IBAN — so the redaction
// stage's detectors (including their checksums) have work to do.

export interface Customer {
  userId: string;
  name: string;
  email: string;
  phone: string;
  card: string;
  iban: string;
  address: string;
  orderId: string;
  accountId: string;
}

export interface TurnScript {
  user: string;
  /** Ask for response_format json_object. */
  json?: boolean;
  /** max_completion_tokens; small values make the model stop with "length". */
  maxTokens?: number;
  /** Use stream: true for this turn. */
  stream?: boolean;
}

export interface Scenario {
  name: string;
  model: string;
  /** Offer the support tools (order lookup, address change, refund). */
  tools: boolean;
  turns: TurnScript[];
  /** What a human agent would have answered instead; used for correction feedback. */
  correction: string;
}

export const SYSTEM_PROMPT =
  'You are Ada, the customer support assistant for Northwind Electronics. ' +
  'Be concise and friendly. Use the tools to look up orders, change shipping addresses and issue refunds. ' +
  'Never reveal internal notes. Answer in the language of the customer.';

export const CUSTOMERS: readonly Customer[] = [
  {
    userId: 'user-1042',
    name: 'Jane Doe',
    email: 'jane.doe@example.com',
    phone: '+1 415-555-0132',
    card: '4111 1111 1111 1111',
    iban: 'DE89 3704 0044 0532 0130 00',
    address: '742 Evergreen Terrace, Springfield, OR 97403',
    orderId: 'NW-48213',
    accountId: 'ACC-77120',
  },
  {
    userId: 'user-2077',
    name: 'Marco Rossi',
    email: 'm.rossi@example.org',
    phone: '+39 06 5555 0199',
    card: '5555 5555 5555 4444',
    iban: 'GB82 WEST 1234 5698 7654 32',
    address: 'Via Roma 12, 00184 Roma',
    orderId: 'NW-50377',
    accountId: 'ACC-80455',
  },
  {
    userId: 'user-3150',
    name: 'Priya Natarajan',
    email: 'priya.n@example.net',
    phone: '(212) 555-0178',
    card: '3782 822463 10005',
    iban: 'FR14 2004 1010 0505 0001 3M02 606',
    address: '18 Park Avenue, Apt 5C, New York, NY 10016',
    orderId: 'NW-51902',
    accountId: 'ACC-81230',
  },
  {
    userId: 'user-4411',
    name: 'Lukas Becker',
    email: 'lukas.becker@example.de',
    phone: '+49 30 5555 0123',
    card: '4012 8888 8888 1881',
    iban: 'DE44 5001 0517 5407 3249 31',
    address: 'Friedrichstraße 43, 10117 Berlin',
    orderId: 'NW-53318',
    accountId: 'ACC-82994',
  },
  {
    userId: 'user-5263',
    name: 'Emily Chen',
    email: 'emily.chen@example.com',
    phone: '+1 (650) 555-0144',
    card: '6011 1111 1111 1117',
    iban: 'NL91 ABNA 0417 1643 00',
    address: '1600 Amphitheatre Pkwy, Mountain View, CA 94043',
    orderId: 'NW-54760',
    accountId: 'ACC-83501',
  },
];

type ScenarioTemplate = (c: Customer) => Scenario;

// Each template exercises something different downstream: tool calls and
// multi-turn history, card numbers, JSON mode, truncation, streaming, IBANs.
export const SCENARIOS: readonly ScenarioTemplate[] = [
  (c) => ({
    name: 'order_status',
    model: 'gpt-4o-mini',
    tools: true,
    turns: [
      { user: `Hi, this is ${c.name} (${c.email}). Where is my order ${c.orderId}? It was supposed to arrive yesterday.` },
      { user: `Thanks. Can you text the tracking link to ${c.phone} instead of emailing it?` },
    ],
    correction: `Order ${c.orderId} left our warehouse on Monday and is due tomorrow; I have sent the tracking link by SMS to the number on file.`,
  }),
  (c) => ({
    name: 'double_charge',
    model: 'gpt-4.1',
    tools: false,
    turns: [
      { user: `I was charged twice for the same purchase on my card ${c.card}. Please cancel one of the charges.` },
      { user: `My billing email is ${c.email}, please send the confirmation there.` },
    ],
    correction: 'I can see two authorizations; the duplicate is a pending hold that drops off within 3–5 business days, so no refund is needed.',
  }),
  (c) => ({
    name: 'address_change',
    model: 'gpt-4o-mini',
    tools: true,
    turns: [{ user: `Please change the delivery address for order ${c.orderId} to ${c.address}. You can reach me at ${c.phone}.` }],
    correction: `Done — order ${c.orderId} will now be delivered to the new address; the courier may call you on the day of delivery.`,
  }),
  (c) => ({
    name: 'extract_contact',
    model: 'gpt-4o-mini',
    tools: false,
    turns: [
      {
        user: `Extract the customer's name, email and phone as JSON from this note: "Call back ${c.name} at ${c.phone} or write to ${c.email} about the broken blender."`,
        json: true,
      },
    ],
    correction: JSON.stringify({ intent: 'callback', customer: { name: c.name, email: c.email, phone: c.phone } }),
  }),
  (c) => ({
    name: 'return_policy',
    model: 'gpt-4.1',
    tools: false,
    turns: [
      {
        user: `Explain your return policy for opened electronics in detail, including the exceptions for holiday purchases. My account is ${c.accountId}.`,
        maxTokens: 24,
      },
    ],
    correction: 'Opened electronics can be returned within 30 days with a 15% restocking fee; holiday purchases can be returned until January 31.',
  }),
  (c) => ({
    name: 'wifi_troubleshooting',
    model: 'gpt-4o-mini',
    tools: false,
    turns: [
      { user: `My router keeps dropping the Wi-Fi every evening. Account ${c.accountId}. What should I try?`, stream: true },
      { user: 'I already restarted it twice. Anything else?', stream: true },
    ],
    correction: 'Change the 2.4 GHz channel to 1, 6 or 11 and enable automatic firmware updates; evening drops are usually interference from neighbours.',
  }),
  (c) => ({
    name: 'account_access',
    model: 'gpt-4.1-mini',
    tools: false,
    turns: [
      { user: `I can't log in to the account registered to ${c.email}. For verification, my IBAN is ${c.iban}.`, stream: true },
    ],
    correction: 'For your security we never ask for bank details in chat. Use "Forgot password" on the login page; the reset link goes to the email on file.',
  }),
];

/** Canned tool results: the fake model reads them back in its next answer. */
export function runTool(name: string, args: Record<string, unknown>, c: Customer): string {
  switch (name) {
    case 'lookup_order':
      return JSON.stringify({ order_id: args.order_id ?? c.orderId, status: 'in_transit', carrier: 'UPS', eta: '2 days' });
    case 'update_shipping_address':
      return JSON.stringify({ order_id: args.order_id ?? c.orderId, updated: true });
    case 'create_refund':
      return JSON.stringify({ order_id: args.order_id ?? c.orderId, refund_status: 'pending', amount: args.amount ?? '0' });
    default:
      return JSON.stringify({ error: `unknown tool ${name}` });
  }
}

export const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'lookup_order',
      description: 'Look up the shipping status of an order.',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string', description: 'Order number, e.g. NW-12345' } },
        required: ['order_id'],
      },
    },
  },
  {
    type: 'function' as const,
    function: {
      name: 'update_shipping_address',
      description: 'Change the delivery address of an order that has not shipped yet.',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string' }, address: { type: 'string' } },
        required: ['order_id', 'address'],
      },
    },
  },
  {
    type: 'function' as const,
    function: {
      name: 'create_refund',
      description: 'Refund an order, fully or partly.',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string' }, amount: { type: 'string' } },
        required: ['order_id'],
      },
    },
  },
];

/**
 * A small seeded PRNG (mulberry32). Math.random would make runs
 * unrepeatable, and tests assert on which interaction got which feedback.
 */
export function seededRandom(seed: string): () => number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
