import { Extractor } from './types';

/** Reads the comparable view out of the Azure compiled definition. NOT IMPLEMENTED YET. */
export const extractAzure: Extractor = () => {
  throw new Error('extractAzure is not implemented yet');
};
