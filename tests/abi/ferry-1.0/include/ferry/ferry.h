/* ferry/ferry.h — umbrella header for transport module authors. */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include <ferry/abi.h>
#include <ferry/services.h>
#include <ferry/stream.h>
#include <ferry/transport.h>

#endif /* FERRY_FERRY_H */
