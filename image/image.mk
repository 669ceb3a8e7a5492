# Flashstor appliance targets, included by the top-level Makefile.
#   make deb         reproducible flashstor_<version>_amd64.deb (daemon, units, SELinux module)
#   make image       reproducible UEFI disk image (verity root, A/B slots, /var) from the .deb
#                    and the package set resolved from image/packages.lock (see image/README.md)
#   make update      signed A/B update artefact from the last make image (image/build-update.sh)
#   make boot        boot the image under qemu (TCG); S3 on 127.0.0.1 only
#   make image-test  reproducibility + boot scenarios (ci/image-test.sh)
#   make image-lock  refresh image/packages.lock from image/packages.list
# Large files go to $(IMAGE_WORK) (default /var/tmp/flashstor-image), never into the tree.
# FLASHSTOR_BIN=path packages that binary instead of building $(BUILD)/flashstor.
# IMAGE_LOCK=strict (release builds): build from image/packages.lock exactly or refuse; unset,
# a lock the archive has moved past falls back to the current versions with a notice.
IMAGE_WORK ?= /var/tmp/flashstor-image
export FLASHSTOR_IMAGE_WORK := $(IMAGE_WORK)
export IMAGE_LOCK

.PHONY: deb image update boot image-test image-lock image-deps

image-deps:
	@ci/install-deps.sh image

deb: image-deps $(if $(FLASHSTOR_BIN),,build)
	@image/build-deb.sh

image: deb
	@image/build-image.sh

boot:
	@image/boot.sh

update:
	@image/build-update.sh

image-test: image-deps $(if $(FLASHSTOR_BIN),,build)
	@ci/image-test.sh

image-lock: image-deps
	@image/lock-refresh.sh
