# The two commands of the README. Both install what they need first (npm packages, the temporal CLI).
.PHONY: start test bundle

start: node_modules
	bash scripts/start-local-stack.sh

test: node_modules
	npm test

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules
