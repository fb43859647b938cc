/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The on-disk format, every part of it (docs/FORMAT.md is the
 * specification): the header, its records, the chunk framing, images in
 * extents of a device, and the byte-order helpers.  Pure code: no I/O, so
 * the unit tests and the fuzzers cover exactly this folder.
 */
#pragma once

#include "format/chunk.h"
#include "format/endian.h"
#include "format/extmap.h"
#include "format/header.h"
#include "format/records.h"
