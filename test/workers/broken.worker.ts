// A worker that fails while loading, as a bad deploy or a CSP refusal would.
throw new Error('this worker cannot start')
