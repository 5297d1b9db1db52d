/* distill: dataset export, trainer and serve hooks (not built yet: no open issue). */
#ifndef GRA_DISTILL_H
#define GRA_DISTILL_H
#endif
