import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Scope } from './types';

export interface Session {
  open: boolean;
  scopes: Scope[];
  signOut(): void;
}

export const SessionContext = createContext<Session>({ open: false, scopes: [], signOut: () => undefined });

export const useSession = () => useContext(SessionContext);
export const hasScope = (s: Session, scope: Scope) => s.open || s.scopes.includes(scope);
