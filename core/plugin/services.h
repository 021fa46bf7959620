/* core/plugin/services.h — the ferry_services table and the ferry_core
 * descriptor the core hands to every module. */
#ifndef FERRY_CORE_SERVICES_H
#define FERRY_CORE_SERVICES_H

#include <ferry/services.h>

/* Static tables, valid for the life of the process. */
const ferry_services *services_table(void);
const ferry_core *services_core(void);

#endif
