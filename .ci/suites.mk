# .ci/suites.mk — the test phase of .ci/run as one make run, so that a single
# jobserver (.ci/run passes -jN) bounds everything that runs at once:
#   plain      the README's test command, make check, in the built tree
#   san-build  a second in-tree copy of the sources built with ASan+UBSan
#   sanitized  make check there (FERRY_SANITIZED=1), once it is built
#   fuzz       make fuzz: builds the libFuzzer targets, runs each briefly
# Run one after another they left the CPU idle whenever a test waited on a
# registry or a daemon; sharing N job slots lets each use what the others
# leave, and a sub-make's tests and compiles take slots like any job.
# Each branch writes its exit status to $(STATUS)/BRANCH.rc and succeeds,
# so that a failing branch never stops the others; .ci/run reads the files.
# Output: plain on stdout; the others in $(SAN_DIR).log, $(SAN_DIR).check.log
# and $(TOP)/fuzz-work.log.

TOP ?= $(CURDIR)
SAN_DIR ?= $(TOP)/build-sanitize
STATUS ?= $(TOP)/.ci-status
FUZZ_SECONDS ?= 15
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

all: plain sanitized fuzz

$(STATUS):
	mkdir -p $@

plain: | $(STATUS)
	+$(MAKE) -C '$(TOP)' check; echo $$? >'$(STATUS)/plain.rc'

# configure refuses a VPATH build beside an in-tree one: a copy of the
# tracked files is built in place.
san-build: | $(STATUS)
	+( rm -rf '$(SAN_DIR)' && mkdir -p '$(SAN_DIR)' && \
	   git -C '$(TOP)' ls-files -z | (cd '$(TOP)' && tar --null -T - -cf -) | tar -C '$(SAN_DIR)' -xf - && \
	   cd '$(SAN_DIR)' && autoreconf -fi && \
	   ./configure CFLAGS='$(SAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' && \
	   $(MAKE) ) >'$(SAN_DIR).log' 2>&1; echo $$? >'$(STATUS)/san-build.rc'

# Sanitizer reports go to files that tests/system/lib.sh turns into failing
# tests; FERRY_SANITIZED skips the peak-RSS bounds and the package builds,
# which concern the plain build only.
sanitized: san-build
	+if [ "$$(cat '$(STATUS)/san-build.rc')" = 0 ]; then \
	    find '$(SAN_DIR)' -name '*.trs' -type f -delete; \
	    $(MAKE) -C '$(SAN_DIR)' check FERRY_SANITIZED=1 \
	        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1 \
	        >'$(SAN_DIR).check.log' 2>&1; echo $$? >'$(STATUS)/sanitized.rc'; \
	fi

# One job: the targets run one after another (FUZZ_JOBS=1).
fuzz: | $(STATUS)
	+$(MAKE) -C '$(TOP)' fuzz FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_JOBS=1 \
	    >'$(TOP)/fuzz-work.log' 2>&1; echo $$? >'$(STATUS)/fuzz.rc'

.PHONY: all plain san-build sanitized fuzz
