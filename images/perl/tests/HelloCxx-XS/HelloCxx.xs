#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

extern int birdhouse_eggs(void);

MODULE = HelloCxx    PACKAGE = HelloCxx

int
answer()
  CODE:
    RETVAL = birdhouse_eggs();
  OUTPUT:
    RETVAL
