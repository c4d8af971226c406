//===- TGOps.td - all ops of the tg dialect ------------------*- tablegen -*-===//

#ifndef TG_OPS_TD
#define TG_OPS_TD

include "TGCoreOps.td"
include "TGLayerOps.td"
include "TGTrainingOps.td"
include "TGAutodiffOps.td"
include "TGKernelOps.td"

#endif // TG_OPS_TD
