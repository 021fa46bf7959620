# tests/fuzz/fuzz.mk — builds the libFuzzer targets, apart from the normal
# build: its own compiler and flags (clang, -fsanitize=fuzzer,address,undefined)
# and its own objects under $(FUZZ_WORK)/obj, so that `make` and `make check`
# are untouched. A GNU makefile that automake does not read; the top Makefile's
# `make fuzz` runs it (tests/fuzz/Makefile.inc) with srcdir, FUZZ_CC and the
# libraries' flags configure found.
#
# The core's and libferryshared's sources go into one static archive, so that
# each target links only the objects it uses; a module's sources (whose
# grammars live only in the module) are linked into the targets that parse
# with them, with the include path the module's own Makefile.inc gives them;
# a target's source sees the directories of its modules.

srcdir ?= .
top_builddir ?= .
FUZZ_CC ?= clang
FUZZ_WORK ?= fuzz-work
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS ?= -g -O1 -fno-omit-frame-pointer
fuzz_cflags = -std=c11 -Wall -Wextra -Wno-unused-parameter $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) -fsanitize=fuzzer-no-link
fuzz_cppflags = -include $(top_builddir)/config.h -D_GNU_SOURCE -DFERRY_TRANSPORTS_DIR='"/nonexistent"' \
	-I$(srcdir)/include -I$(srcdir)/core -I$(srcdir)/core/shared/include -I$(srcdir)/plugins/common \
	$(JANSSON_CFLAGS) $(CRYPTO_CFLAGS) $(ZLIB_CFLAGS) $(ZSTD_CFLAGS) $(YAML_CFLAGS) $(GPGME_CFLAGS) \
	$(SODIUM_CFLAGS) $(CURL_CFLAGS) $(LIBARCHIVE_CFLAGS) $(OSTREE_CFLAGS) $(ISAL_CFLAGS) $(SQUASHFS_CFLAGS)
fuzz_libs = $(JANSSON_LIBS) $(CRYPTO_LIBS) $(ZLIB_LIBS) $(ZSTD_LIBS) $(YAML_LIBS) $(GPGME_LIBS) $(SODIUM_LIBS) \
	$(CURL_LIBS) $(LIBARCHIVE_LIBS) $(OSTREE_LIBS) $(ISAL_LIBS) $(SQUASHFS_LIBS) $(LTDL_LIBS) -lltdl -lpthread -lm

FUZZ_TARGETS = fuzz-reference fuzz-manifest fuzz-http-headers fuzz-tar fuzz-config fuzz-template fuzz-sync-yaml fuzz-sif fuzz-tarball

# Everything of core/ but the executable's main, and libferryshared.
core_sources = $(filter-out core/main.c,$(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/core/*/*.c)))
# plugins/common without the archive helpers (those are named by the targets needing them).
plugin_common_sources = plugins/common/path.c plugins/common/fileio.c plugins/common/output.c \
	plugins/common/reader.c plugins/common/blob.c plugins/common/docker_name.c

# Module sources per target.
fuzz_reference_modules = plugins/docker/reference.c plugins/oci/reference.c plugins/dir/reference.c \
	plugins/docker-archive/reference.c plugins/docker-archive/names.c \
	plugins/containers-storage/reference.c plugins/ostree/reference.c plugins/docker-daemon/reference.c
fuzz_manifest_modules = plugins/oci/layout_index.c
fuzz_http_headers_modules = $(filter-out plugins/docker/module.c,$(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/plugins/docker/*.c)))
fuzz_tar_modules = plugins/common/tarindex.c plugins/docker-archive/tar.c plugins/docker-archive/index.c \
	plugins/docker-archive/names.c
fuzz_config_modules = plugins/containers-storage/config.c plugins/containers-storage/driver_options.c
fuzz_template_modules =
# fuzz-sif and fuzz-tarball are built only where their modules are (tests/fuzz/Makefile.inc).
fuzz_sif_modules = plugins/sif/container.c plugins/sif/deffile.c plugins/sif/squash.c plugins/sif/layer.c
fuzz_tarball_modules = plugins/tarball/layer.c plugins/tarball/config.c
fuzz_sync_yaml_modules =

# Include paths of each target's own source: the directories of its modules.
fuzz_module_dirs = $(addprefix -I$(srcdir)/,$(sort $(dir $(1))))

obj = $(FUZZ_WORK)/obj
archive = $(FUZZ_WORK)/libferry-fuzz.a

all: $(addprefix $(FUZZ_WORK)/,$(FUZZ_TARGETS))

$(archive): $(addprefix $(obj)/,$(core_sources:.c=.o) $(plugin_common_sources:.c=.o))
	rm -f $@
	ar rcs $@ $^

# docker-daemon's sources include libdockarch's headers, as its Makefile.inc arranges.
fuzz_includes_plugins/docker-daemon/ = -I$(srcdir)/plugins/docker-archive

$(obj)/%.o: $(srcdir)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(fuzz_cppflags) $(fuzz_includes_$(dir $*)) $(fuzz_cflags) -MMD -MP -c -o $@ $<

# $(1): target name; $(2): its make-variable stem.
define fuzz_target
$(obj)/tests/fuzz/$(1).o: $(srcdir)/tests/fuzz/$(1).c
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(fuzz_cppflags) $$(call fuzz_module_dirs,$$($(2)_modules)) $$(fuzz_cflags) -MMD -MP -c -o $$@ $$<
$(FUZZ_WORK)/$(1): $(obj)/tests/fuzz/$(1).o $$(addprefix $(obj)/,$$($(2)_modules:.c=.o)) $(archive)
	$$(FUZZ_CC) $$(fuzz_cflags) -fsanitize=fuzzer -o $$@ $$^ $$(fuzz_libs)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t),$(subst -,_,$(t)))))

-include $(shell find $(obj) -name '*.d' 2>/dev/null)

.PHONY: all
