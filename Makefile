# The two commands of the README. Both provide what they need first: Node 24 (scripts/ensure-node.sh,
# cached per machine), npm packages installed for that Node, the compiled build, the web page, the
# temporal CLI, and `refinery` on PATH.
.PHONY: start start-production-like test build web cli

# Node 24 first on PATH for every recipe (npm and npx included); anything compiled from source
# (`npm rebuild`) uses its headers. package.json's allowScripts runs no install script.
NODE_BIN := $(shell bash scripts/ensure-node.sh)
ifeq ($(NODE_BIN),)
$(error scripts/ensure-node.sh could not provide Node 24; see its message above)
endif
export PATH := $(NODE_BIN):$(PATH)
export npm_config_nodedir := $(abspath $(NODE_BIN)/..)

# node_modules is stamped with the Node ABI it was installed for: one installed by another Node
# (native modules, engines checks) has no stamp of this ABI and is installed afresh.
NODE_ABI := $(shell PATH="$(PATH)" node -p process.versions.modules)
DEPS := node_modules/.installed-for-abi-$(NODE_ABI)

start: $(DEPS) web cli
	@bash scripts/start-local-stack.sh

# The deployed topology on this host: Temporal server on PostgreSQL, SeaweedFS, two workers, gateway.
start-production-like: $(DEPS) web
	bash scripts/start-production-like.sh

# The browser tests drive Debian's Chromium (installed here when missing) against the built page.
test: $(DEPS) web
	bash scripts/ensure-chromium.sh
	npm test

build: $(DEPS)
	node scripts/build.js --if-stale

# `refinery` from any terminal, on this project's Node (a link to bin/refinery; see the script).
cli:
	@bash scripts/install-cli.sh

# The web page the gateway serves at / (dist/web); a few seconds, so always rebuilt (quietly: its
# warnings and errors show).
web: $(DEPS)
	@npm run --silent build:web -- --logLevel warn
	@echo "web page: built into dist/web"

$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@
