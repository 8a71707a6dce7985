export { refineConcept } from './refine-concept';
export { redeliverWebhook } from './webhooks';
export { eraseUser } from './erase-user';
