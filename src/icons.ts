import { LabIcon } from '@jupyterlab/ui-components';

import cameraSvg from '../style/icons/camera.svg';

/** The camera of "Save as image": the toolbar button and the panel's tab. */
export const saveIcon = new LabIcon({
  name: 'modelarts-snapshot:camera',
  svgstr: cameraSvg
});
