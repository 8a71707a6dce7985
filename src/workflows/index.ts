export { refineConcept } from './refine-concept';
export { redeliverWebhook } from './webhooks';
