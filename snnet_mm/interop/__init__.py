"""Official SN-Net v1 and SN-Netv2 layouts: stitch-id maps (``official:N``, ``v1:N``), checkpoint conversion, relative-position DeiT3 anchors.

Core-level (torch + timm only). Importing it registers the ``deit3_*_patch16_relpos`` timm models.
"""
from .convert import ConversionReport, OfficialInfo, official_to_ours, ours_to_official, unwrap_checkpoint
from ..stitching.relpos_vit import RelPosVisionTransformer
from .stitch_ids import (OfficialStitch, official_id_map, official_ids, official_stitches,
                         official_to_ours as official_id_to_ours,
                         ours_to_official as ours_to_official_id, parse_official)
from .v1_ids import V1Stitch, v1_id_map, v1_ids, v1_stitches

__all__ = [
    'ConversionReport', 'OfficialInfo', 'OfficialStitch', 'RelPosVisionTransformer', 'official_id_map', 'official_ids',
    'official_id_to_ours', 'official_stitches', 'official_to_ours', 'ours_to_official', 'ours_to_official_id',
    'parse_official', 'unwrap_checkpoint', 'V1Stitch', 'v1_id_map', 'v1_ids', 'v1_stitches',
]
