export { refineConcept } from './refine-concept';
