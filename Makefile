# The two commands of the README. Both install what they need first (npm packages, the temporal CLI).
.PHONY: start test bundle web

start: node_modules web
	bash scripts/start-local-stack.sh

# The browser tests drive Debian's Chromium (installed here when missing) against the built page.
test: node_modules web
	bash scripts/ensure-chromium.sh
	npm test

# The web page the gateway serves at / (dist/web); a few seconds, so always rebuilt.
web: node_modules
	npm run build:web

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules
