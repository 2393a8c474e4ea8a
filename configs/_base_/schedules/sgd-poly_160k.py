# mmseg's 160k-iteration schedule as it stands (SGD lr 0.01, momentum 0.9, weight decay 5e-4, poly
# power 0.9 to 1e-4, validation and checkpoints every 16k iterations), validating the anchors.
_base_ = 'mmseg::_base_/schedules/schedule_160k.py'

val_cfg = dict(type='StitchValLoop', stitches='anchors')
