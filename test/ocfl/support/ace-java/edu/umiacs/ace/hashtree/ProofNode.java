/*
 * Copyright (c) 2007-2010, University of Maryland
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without modification, are permitted provided
 * that the following conditions are met:
 *
 * Redistributions of source code must retain the above copyright notice, this list of conditions
 * and the following disclaimer.
 *
 * Redistributions in binary form must reproduce the above copyright notice, this list of conditions
 * and the following disclaimer in the documentation and/or other materials provided with the
 * distribution.
 *
 * Neither the name of the University of Maryland nor the names of its contributors may be used to
 * endorse or promote products derived from this software without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
 * WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
 * PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR
 * ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
 * LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 * INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR
 * TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF
 * ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 *
 * ACE Components were written in the ADAPT Project at the University of
 * Maryland Institute for Advanced Computer Study.
 */
// $Id$
package edu.umiacs.ace.hashtree;

import edu.umiacs.util.StringListBuilder;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/*******************************************************************************
 *
 *
 * @version {@code $Revision$ $Date$}
 *
 ******************************************************************************/
public final class ProofNode implements Iterable<ProofHash>, Serializable {

    private List<ProofHash> proofItems;
    private int index;

    private ProofNode() {
    }

    ProofNode( List<ProofHash> proofItems, int index ) {
        this.index = index;
        this.proofItems = Collections.unmodifiableList(proofItems);
    }

    public int getIndex() {
        return this.index;
    }

    public List<ProofHash> getHashes() {
        return this.proofItems;
    }

    public Iterator<ProofHash> iterator() {
        return this.proofItems.iterator();
    }

    @Override
    public String toString() {
        return String.valueOf(index) + "("
                + new StringListBuilder().setDelimiter(",").append(proofItems).toString() + ")";
    }

    @Override
    public int hashCode() {
        int hash = 3;
        hash = 47 * hash + (this.proofItems != null ? this.proofItems.hashCode() : 0);
        hash = 47 * hash + this.index;
        return hash;
    }

    @Override
    public boolean equals( Object obj ) {
        if ( obj == null ) {
            return false;
        }
        if ( getClass() != obj.getClass() ) {
            return false;
        }
        final ProofNode other = (ProofNode) obj;
        if ( this.proofItems != other.proofItems &&
                (this.proofItems == null || !this.proofItems.equals(other.proofItems)) ) {
            return false;
        }
        if ( this.index != other.index ) {
            return false;
        }
        return true;
    }
}
