/** The Temporal header that carries the gateway's request id from the start call to every activity. */
export const REQUEST_ID_HEADER = 'refinery-request-id';
