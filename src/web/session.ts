import { createContext, useContext } from 'react';
import type { Me } from './api.ts';

export interface Session {
  me: Me;
  refresh: () => Promise<void>;
  can: (permission: string) => boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the app');
  return session;
}

