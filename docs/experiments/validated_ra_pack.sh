#!/bin/sh
# The free policy's own op space, learned (issue 26): an LSTM over the `randaugment` pack
# (RandAugment's 14 ops at torchvision's magnitudes M = 5, 9, 15; 62 TFs) at L = 2, the
# length of the tuned RandAugment baseline (N = 2), learned from the task's unlabeled training
# images (no labels, seed 0, `tanda learn` defaults otherwise), then composed after the crop
# that the crop's own validation chose, with the same validation protocol, seeds and split as
# the task's other rows. Candidates (fixed before any run):
#   cifar10: p 0.5 and 1 (two, as every row of validated_cifar10_reflect.sh), 60 epochs;
#   mnist:   p 0.5 and 1 x frame 0 and 2 (four, as validated_mnist_60_epochs.sh), 60 epochs.
# The second argument `heuristic` runs instead the control: uniform sequences over the same
# 62 TFs at the same L, same candidates (does learning filter this op space?).
# MAGNITUDES="5" (say) learns over the pack at those M only (`randaugment_pack(magnitudes)`,
# written as a .json of TF specs), e.g. the M that RandAugment's own validation chose, into
# ${TASK}_randaugment_M5_lstm_L2.tanda and a results file with the same suffix.
# EXTRA="mnist" (a pack name) adds that pack's TFs not already in the op space (the domain's own
# TFs beside the free policy's ops), into ${TASK}_randaugment_plus_mnist_lstm_L2.tanda and so on.
# Usage: [MAGNITUDES="5"] [EXTRA=pack] sh docs/experiments/validated_ra_pack.sh cifar10|mnist [tanda_lstm|heuristic]
set -e
P=${POLICIES:-docs/experiments/policies}
TASK=${1:?cifar10 or mnist}
CONDITION=${2:-tanda_lstm}
TFS=randaugment
SUFFIX=""
if [ -n "$MAGNITUDES" ]; then
    SUFFIX=_M$(echo "$MAGNITUDES" | tr ' ,' '__')
    TFS=$P/randaugment${SUFFIX}.json
    [ -f "$TFS" ] || python -c "
import json, sys
from tanda_transforms.tfs import TFLibrary, randaugment_pack
levels = tuple(int(m) for m in sys.argv[1].replace(',', ' ').split())
json.dump(TFLibrary(randaugment_pack(levels)).to_spec(), open(sys.argv[2], 'w'), indent=1)
" "$MAGNITUDES" "$TFS"
fi
if [ -n "$EXTRA" ]; then
    BASE=$TFS
    SUFFIX=${SUFFIX}_plus_$EXTRA
    TFS=$P/randaugment${SUFFIX}.json
    [ -f "$TFS" ] || python -c "
import json, sys
from tanda_transforms.tfs import TFLibrary
base = TFLibrary.from_spec(json.load(open(sys.argv[1]))) if sys.argv[1].endswith('.json') \\
    else TFLibrary.pack(sys.argv[1])
known = {str(tf) for tf in base}
extra = [tf for tf in TFLibrary.pack(sys.argv[2]) if str(tf) not in known]
json.dump(TFLibrary([*base, *extra]).to_spec(), open(sys.argv[3], 'w'), indent=1)
" "$BASE" "$EXTRA" "$TFS"
fi
POLICY=$P/${TASK}_randaugment${SUFFIX}_lstm_L2.tanda
case "$TASK" in
    cifar10) DATA=../shared/data/cifar10; LEARN_DATA=$DATA/cifar10-jpeg.tar; PAD=4
             GRID="$CONDITION:p=0.5,1;after_basic=1"
             OUT=${OUT:-docs/experiments/results_cifar10_validated_ra_pack${SUFFIX}.json} ;;
    mnist)   DATA=../shared/data/mnist; LEARN_DATA=$DATA; PAD=2
             GRID="$CONDITION:p=0.5,1;frame=0,2;after_basic=1"
             OUT=${OUT:-docs/experiments/results_mnist_validated_ra_pack${SUFFIX}.json} ;;
    *) echo "unknown task $TASK (cifar10 or mnist)" >&2; exit 2 ;;
esac
[ -f "$POLICY" ] || python -m tanda_transforms.cli learn --data "$LEARN_DATA" \
    --tfs "$TFS" --seq-len 2 --threads 1 --seed 0 --no-progress --out "$POLICY"
python -m tanda_transforms.cli evaluate --dataset "$TASK" --data "$DATA" --epochs 60 \
    --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
    --basic-pad "$PAD" --basic-border reflect --policy-lstm "$POLICY" \
    --conditions "$CONDITION" --grid "$GRID" --out "$OUT"
